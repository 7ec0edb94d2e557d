"""Quality on the shared public data sets (not in the repo; skipped where absent).

Measured here (5-fold stratified; logistic baseline in brackets): X Education 0.879 AUC / 0.133
Brier [0.865 / 0.142] (the issue's target is 0.885 / 0.13: not reached), bank-full without
`duration` 0.806 AUC / 0.080 Brier [0.765] (target 0.81: not reached). The assertions hold what
was reached minus a small margin, so regressions show. Bank-full is tested with 3 folds: 0.8057
AUC [0.765] against 0.8063 with 5, in half the time (15 s instead of 30 s).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scoring.csv_import import load_training_table
from scoring.training import cross_validate

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
LEADS = DATA / "x-education-leads" / "Leads.csv"
BANK = DATA / "uci-bank-marketing" / "bank-full.csv"
SALES_ENTERED = ["Tags", "Lead Quality", "Lead Profile", "Asymmetrique*", "Last Activity"]
SALES_ENTERED.append("Last Notable Activity")


@pytest.mark.corpus
@pytest.mark.slow
@pytest.mark.skipif(not LEADS.exists(), reason="needs ../shared/data (not in the repo)")
def test_x_education_five_fold() -> None:
    table = load_training_table(LEADS, target="Converted", exclude=SALES_ENTERED)
    cv = cross_validate(table, folds=5)
    assert cv.roc_auc >= 0.875
    assert cv.brier <= 0.136
    assert cv.roc_auc > cv.baseline_roc_auc


@pytest.mark.corpus
@pytest.mark.slow
@pytest.mark.skipif(not BANK.exists(), reason="needs ../shared/data (not in the repo)")
def test_bank_three_fold_with_sniffed_semicolons() -> None:
    table = load_training_table(BANK, target="y", exclude=["duration"])
    assert "duration" not in table.spec.names
    assert "day of year" in table.spec.columns
    cv = cross_validate(table, folds=3)
    assert cv.roc_auc >= 0.802
    assert cv.roc_auc > cv.baseline_roc_auc
