"""`clinch train`, `clinch score` and `clinch models` through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from clinch.cli_models import models_app, score_command, train_command


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)
    app.command("train")(train_command)
    app.command("score")(score_command)
    app.add_typer(models_app, name="models")
    return app


@pytest.mark.slow  # two real trainings with reports: 3–7 s on this machine
def test_train_promote_score_and_manage(
    cli: typer.Typer, home: Path, leads_csv: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    args = ["train", "--csv", str(leads_csv), "--target", "Converted", "--exclude", "Asym*"]
    first = runner.invoke(cli, [*args, "--json"])
    assert first.exit_code == 0, first.output
    result = json.loads(first.stdout)
    assert result["promoted"] is True
    assert result["metrics"]["roc_auc"] > result["baseline"]["roc_auc"]
    version = result["version"]
    folder = home / "models" / "scoring" / version
    assert (folder / "report.html").exists()
    assert (folder / "calibration.png").stat().st_size > 1000

    second = runner.invoke(cli, args)
    assert second.exit_code == 0, second.output
    assert "not promoted" in second.stdout

    listed = runner.invoke(cli, ["models", "list", "--json"])
    names = [v["name"] for v in json.loads(listed.stdout)]
    assert len(names) == 2
    forced = runner.invoke(cli, ["models", "promote", names[1], "--force"])
    assert forced.exit_code == 0, forced.output
    back = runner.invoke(cli, ["models", "rollback"])
    assert back.exit_code == 0
    assert version in back.stdout

    out = tmp_path / "scored.csv"
    scored = runner.invoke(cli, ["score", "--csv", str(leads_csv), "--out", str(out)])
    assert scored.exit_code == 0, scored.output
    frame = pd.read_csv(out)
    assert {"probability", "band", "reasons", "model_version"} <= set(frame.columns)
    assert frame["model_version"].eq(version).all()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--csv", "absent.csv", "--target", "Converted"], "no such CSV"),
        (["train", "--csv", "LEADS", "--target", "Bought"], "not found"),
        (["train", "--csv", "ONECLASS", "--target", "Converted"], "one class"),
        (["score", "--csv", "LEADS", "--out", "o.csv"], "clinch train"),
        (["score", "--csv", "LEADS", "--out", "o.csv", "--hot", "0.1"], "warm ≤ hot"),
        (["models", "promote", "v0009-nope"], "no model version"),
        (["models", "rollback"], "nothing to roll back"),
    ],
)
def test_bad_input_is_a_message_not_a_traceback(
    cli: typer.Typer, home: Path, leads_csv: Path, argv: list[str], message: str
) -> None:
    one_class = leads_csv.with_name("one.csv")
    pd.read_csv(leads_csv).assign(Converted="No").to_csv(one_class, index=False)
    argv = [{"LEADS": str(leads_csv), "ONECLASS": str(one_class)}.get(arg, arg) for arg in argv]
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
