"""Reading lead exports: delimiters, targets, dropped columns, placeholders, time windows."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoring.csv_import import (
    TrainingTable,
    build_training_table,
    load_training_table,
    read_lead_csv,
)
from scoring.errors import InvalidTrainingData
from scoring.feature_spec import encode_frame, encode_row

ToTable = Callable[..., TrainingTable]


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_sniffs_delimiter(tmp_path: Path, leads: pd.DataFrame, sep: str) -> None:
    path = tmp_path / "leads.csv"
    leads.head(50).to_csv(path, index=False, sep=sep)
    frame = read_lead_csv(path)
    assert list(frame.columns) == list(leads.columns)
    assert len(frame) == 50


def test_wrong_delimiter_names_the_likely_one(tmp_path: Path, leads: pd.DataFrame) -> None:
    path = tmp_path / "leads.csv"
    leads.head(50).to_csv(path, index=False, sep=";")
    with pytest.raises(InvalidTrainingData, match="semicolon"):
        read_lead_csv(path, delimiter=",")


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidTrainingData, match="no such CSV"):
        read_lead_csv(tmp_path / "absent.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InvalidTrainingData, match="empty"):
        read_lead_csv(tmp_path / "empty.csv")


def test_missing_target_lists_close_matches(leads: pd.DataFrame) -> None:
    with pytest.raises(InvalidTrainingData, match=r"did you mean 'Converted'.*available"):
        build_training_table(leads, target="converted ")


def test_one_class_target(leads: pd.DataFrame) -> None:
    with pytest.raises(InvalidTrainingData, match="one class"):
        build_training_table(leads.assign(Converted="No"), target="Converted")


def test_non_binary_target(leads: pd.DataFrame) -> None:
    frame = leads.assign(Converted=np.arange(len(leads)) % 3)
    with pytest.raises(InvalidTrainingData, match="must be binary"):
        build_training_table(frame, target="Converted")


@pytest.mark.parametrize(("yes", "no"), [("Yes", "No"), ("true", "false"), (1, 0), ("Y", "N")])
def test_binary_encodings(leads: pd.DataFrame, yes: str | int, no: str | int) -> None:
    frame = leads.assign(Converted=np.where(leads["Converted"] == "Yes", yes, no))
    table = build_training_table(frame, target="Converted")
    assert table.target.sum() == (leads["Converted"] == "Yes").sum()


def test_drops_ids_constants_and_excluded_globs(table_cols: dict[str, str]) -> None:
    assert table_cols["Prospect ID"] == "id-like name"
    assert table_cols["Lead Number"] == "id-like name"
    assert table_cols["Country"] == "constant"
    assert table_cols["Asymmetrique Score"] == "excluded"


@pytest.fixture
def table_cols(leads: pd.DataFrame, to_table: ToTable) -> dict[str, str]:
    return dict(to_table(leads).dropped)


def test_unique_strings_dropped_even_without_id_name(
    leads: pd.DataFrame, to_table: ToTable
) -> None:
    frame = leads.assign(Email=[f"u{i}@example.com" for i in range(len(leads))])
    assert dict(to_table(frame).dropped)["Email"] == "unique per row (id-like)"


def test_kinds_and_select_is_missing(leads: pd.DataFrame, to_table: ToTable) -> None:
    table = to_table(leads)
    kinds = dict(zip(table.spec.names, table.spec.kinds, strict=True))
    assert kinds["Total Time"] == "numeric"
    assert kinds["Occupation"] == "categorical"
    levels = table.spec.categories[table.spec.names.index("Occupation")]
    assert "Select" not in levels
    row = encode_row(table.spec, {"Occupation": "Select", "Total Time": "1,532"})
    assert math.isnan(row[table.spec.names.index("Occupation")])
    assert row[table.spec.names.index("Total Time")] == 1532.0


def test_frame_and_row_encoding_agree(leads: pd.DataFrame, to_table: ToTable) -> None:
    table = to_table(leads)
    matrix = encode_frame(table.spec, table.features)
    for i in (0, 17, 999):
        row = encode_row(table.spec, table.features.iloc[i].to_dict())
        np.testing.assert_array_equal(row, matrix[i])


def test_time_column_window(tmp_path: Path, leads: pd.DataFrame) -> None:
    path = tmp_path / "leads.csv"
    leads.to_csv(path, index=False)
    table = load_training_table(path, target="Converted", time_col="Created")
    assert "Created" not in table.spec.names
    window = table.data_window()
    assert str(window["first"]).startswith("2025-01-01")
    assert window["rows"] == len(leads)
    with pytest.raises(InvalidTrainingData, match="time column 'When'"):
        load_training_table(path, target="Converted", time_col="When")
