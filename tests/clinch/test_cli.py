"""The `clinch` command line against a real home: keys, ingest, search."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from api.auth import ROLES, InvalidCredentials, InvalidRole, verify_key
from clinch.cli import app, main
from clinch.settings import get_settings
from clinch.wiring import open_database
from leads.db import unit_of_work

DEMO = Path(__file__).resolve().parents[2] / "demo"
INTERNAL_PHRASES = ("QS-HARBOR-20", "floor price")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _run(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(app, list(args))


def _ok(runner: CliRunner, *args: str) -> Result:
    result = _run(runner, *args)
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result


def _json(result: Result) -> Any:
    return json.loads(result.stdout)


def _flat(text: str) -> str:
    # Rich wraps long lines to the terminal width; compare text with single spaces.
    return " ".join(text.split())


def _main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """Run the real entry point, which turns domain errors into a message and exit 1."""
    monkeypatch.setattr(sys, "argv", ["clinch", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    captured = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 1), captured.out, captured.err


def _docs(folder: Path, words: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, word in words.items():
        (folder / f"{name}.md").write_text(f"# {name.title()}\n\nOur {word} keeps {name} tidy.\n")
    return folder


# --- keys -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("clinch_home")
def test_keys_create_prints_a_working_key_once(runner: CliRunner) -> None:
    created = _json(_ok(runner, "keys", "create", "--role", "rep", "--name", "dana", "--json"))
    assert set(created) == {"id", "name", "role", "key", "rep_id"}
    assert created["rep_id"] is None  # not linked to a rep: it cannot take over chats
    assert created["name"] == "dana"
    assert created["role"] == "rep"
    assert created["key"].startswith("clk_")
    engine, sessions = open_database(get_settings())
    try:
        with unit_of_work(sessions) as session:
            principal = verify_key(session, created["key"])
    finally:
        engine.dispose()
    assert (principal.name, principal.role, principal.key_id) == ("dana", "rep", created["id"])


@pytest.mark.usefixtures("clinch_home")
def test_keys_create_for_people_warns_the_secret_is_shown_once(runner: CliRunner) -> None:
    result = _ok(runner, "keys", "create", "--role", "admin", "--name", "ops")
    assert "not shown again" in _flat(result.stdout)
    assert "clk_" in result.stdout


@pytest.mark.usefixtures("clinch_home")
def test_keys_create_refuses_an_unknown_role(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    result = _run(runner, "keys", "create", "--role", "wizard", "--name", "merlin")
    assert result.exit_code != 0
    assert isinstance(result.exception, InvalidRole)
    code, out, err = _main(monkeypatch, capsys, "keys", "create", "--role", "wizard", "--name", "m")
    assert code == 1
    assert "clk_" not in out
    message = _flat(err)
    assert "wizard" in message
    for role in ROLES:
        assert role in message
    assert "Traceback" not in err


@pytest.mark.usefixtures("clinch_home")
@pytest.mark.parametrize("name", ["   ", "x" * 101])
def test_keys_create_refuses_a_bad_name(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    code, out, err = _main(monkeypatch, capsys, "keys", "create", "--role", "rep", "--name", name)
    assert code == 1
    assert "clk_" not in out
    assert "1 to 100 characters" in _flat(err)


@pytest.mark.usefixtures("clinch_home")
def test_keys_list_shows_keys_but_never_secrets(runner: CliRunner) -> None:
    first = _json(_ok(runner, "keys", "create", "--role", "rep", "--name", "dana", "--json"))
    second = _json(_ok(runner, "keys", "create", "--role", "site", "--name", "web", "--json"))
    listed = _ok(runner, "keys", "list", "--json")
    rows = _json(listed)
    assert [r["id"] for r in rows] == [second["id"], first["id"]]
    for row in rows:
        assert set(row) == {"id", "name", "role", "created_at", "last_used_at", "revoked"}
        assert row["revoked"] is False
    for created in (first, second):
        assert created["key"] not in listed.stdout
        assert created["key"][4:16] not in listed.stdout
    table = _ok(runner, "keys", "list").stdout
    assert "dana" in table
    assert first["key"] not in table


@pytest.mark.usefixtures("clinch_home")
def test_keys_revoke_stops_the_key(runner: CliRunner) -> None:
    created = _json(_ok(runner, "keys", "create", "--role", "rep", "--name", "leaver", "--json"))
    assert (
        f"key {created['id']} revoked" in _ok(runner, "keys", "revoke", str(created["id"])).stdout
    )
    rows = _json(_ok(runner, "keys", "list", "--json"))
    assert rows[0]["revoked"] is True
    engine, sessions = open_database(get_settings())
    try:
        with unit_of_work(sessions) as session, pytest.raises(InvalidCredentials, match="revoked"):
            verify_key(session, created["key"])
    finally:
        engine.dispose()


@pytest.mark.usefixtures("clinch_home")
def test_keys_revoke_of_an_unknown_id_fails(runner: CliRunner) -> None:
    result = _run(runner, "keys", "revoke", "4242")
    assert result.exit_code == 1
    assert "no key with id 4242" in result.stderr


@pytest.mark.usefixtures("clinch_home")
def test_db_upgrade(runner: CliRunner) -> None:
    assert "up to date" in _ok(runner, "db-upgrade").stdout
    assert (get_settings().resolved_home / "clinch.sqlite").exists()


# --- ingest and search ----------------------------------------------------------------------


@pytest.mark.usefixtures("clinch_home")
def test_ingest_prints_a_json_summary_and_skips_unchanged_files(
    runner: CliRunner, tmp_path: Path
) -> None:
    folder = _docs(tmp_path / "kb", {"ledger": "quibbleframe", "atlas": "mornington"})
    first = _json(_ok(runner, "ingest", str(folder), "--json"))
    assert first["root"] == str(folder.resolve())
    assert first["visibility"] == "public"
    assert first["counts"] == {"added": 2, "updated": 0, "unchanged": 0, "deleted": 0, "failed": 0}
    assert first["chunks_written"] == 2
    assert sorted(f["path"] for f in first["files"]) == ["atlas.md", "ledger.md"]

    again = _json(_ok(runner, "ingest", str(folder), "--json"))
    assert again["counts"] == {"added": 0, "updated": 0, "unchanged": 2, "deleted": 0, "failed": 0}
    assert again["chunks_written"] == 0

    forced = _json(_ok(runner, "ingest", str(folder), "--force", "--json"))
    assert forced["counts"]["updated"] == 2


@pytest.mark.usefixtures("clinch_home")
def test_ingest_for_people_prints_counts(runner: CliRunner, tmp_path: Path) -> None:
    folder = _docs(tmp_path / "kb", {"ledger": "quibbleframe"})
    output = _flat(_ok(runner, "ingest", str(folder)).stdout)
    assert "1 added" in output
    assert "0 failed" in output


@pytest.mark.usefixtures("clinch_home")
def test_ingest_of_only_bad_files_exits_1_with_each_error(
    runner: CliRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "empty.md").write_text("   \n")
    (folder / "deck.pptx").write_bytes(b"PK\x03\x04 not a deck")
    result = _run(runner, "ingest", str(folder), "--json")
    assert result.exit_code == 1, (result.stdout, result.exception)
    summary = _json(result)
    assert summary["counts"]["failed"] == 2
    assert summary["counts"]["added"] == 0
    errors = {f["path"]: f["error"] for f in summary["files"]}
    assert set(errors) == {"empty.md", "deck.pptx"}
    assert errors["deck.pptx"].startswith("deck.pptx: ")
    assert "unsupported file type" in errors["deck.pptx"]
    assert errors["empty.md"].startswith("empty.md: ")


@pytest.mark.usefixtures("clinch_home")
def test_ingest_with_some_bad_files_still_succeeds(runner: CliRunner, tmp_path: Path) -> None:
    folder = _docs(tmp_path / "mixed", {"ledger": "quibbleframe"})
    (folder / "deck.pptx").write_bytes(b"PK\x03\x04 not a deck")
    summary = _json(_ok(runner, "ingest", str(folder), "--json"))
    assert summary["counts"]["added"] == 1
    assert summary["counts"]["failed"] == 1


@pytest.mark.usefixtures("clinch_home")
def test_ingest_for_people_lists_failed_files(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "deck.pptx").write_bytes(b"PK\x03\x04 not a deck")
    result = _run(runner, "ingest", str(folder))
    assert result.exit_code == 1
    assert "unsupported file type" in _flat(result.stdout)


@pytest.mark.usefixtures("clinch_home")
def test_ingest_of_a_missing_path_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = _run(runner, "ingest", str(missing), "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    message = _flat(result.stderr)
    assert str(missing) in message
    assert "does not exist" in message


@pytest.mark.usefixtures("clinch_home")
def test_search_returns_hits_as_json(runner: CliRunner, tmp_path: Path) -> None:
    folder = _docs(tmp_path / "kb", {"ledger": "quibbleframe", "atlas": "mornington"})
    _ok(runner, "ingest", str(folder), "--json")
    result = _ok(runner, "search", "quibbleframe", "--json", "-k", "2")
    payload = _json(result)
    assert payload["query"] == "quibbleframe"
    assert payload["audience"] == "prospect"
    hits = payload["hits"]
    assert 1 <= len(hits) <= 2
    assert hits[0]["source"] == "ledger.md"
    assert "quibbleframe" in hits[0]["text"]
    assert set(hits[0]) == {
        "id",
        "score",
        "title",
        "source",
        "url",
        "heading_path",
        "visibility",
        "text",
    }


@pytest.mark.usefixtures("clinch_home")
def test_search_for_people_prints_a_table(runner: CliRunner, tmp_path: Path) -> None:
    _ok(runner, "ingest", str(_docs(tmp_path / "kb", {"ledger": "quibbleframe"})), "--json")
    assert "ledger.md" in _ok(runner, "search", "quibbleframe").stdout


@pytest.mark.usefixtures("clinch_home")
def test_search_refuses_k_out_of_range(runner: CliRunner) -> None:
    assert _run(runner, "search", "anything", "-k", "0").exit_code == 2


@pytest.mark.slow
@pytest.mark.usefixtures("clinch_home")
def test_prospect_search_never_returns_internal_chunks(runner: CliRunner, tmp_path: Path) -> None:
    internal = tmp_path / "internal"
    shutil.copytree(DEMO / "internal", internal)
    public = tmp_path / "faq"
    shutil.copytree(DEMO / "docs" / "faq", public)
    summary = _json(_ok(runner, "ingest", str(internal), "--visibility", "internal", "--json"))
    assert summary["visibility"] == "internal"
    assert summary["counts"]["added"] == 4
    _ok(runner, "ingest", str(public), "--json")

    for query in ("QS-HARBOR-20", "floor price"):
        for mode in ("hybrid", "dense", "sparse"):
            args = ("search", query, "--audience", "prospect", "--mode", mode, "-k", "30")
            hits = _json(_ok(runner, *args, "--json"))["hits"]
            # Sparse search may match no public term at all; the others always answer.
            assert hits or mode == "sparse"
            for hit in hits:
                assert hit["visibility"] == "public"
                assert not any(p.lower() in hit["text"].lower() for p in INTERNAL_PHRASES)

    rep = _json(_ok(runner, "search", "QS-HARBOR-20", "--audience", "rep", "--json"))["hits"]
    assert rep[0]["visibility"] == "internal"
    assert "QS-HARBOR-20" in rep[0]["text"]


def test_simulate_fills_the_store_and_is_idempotent(runner: CliRunner, clinch_home: Path) -> None:
    first = _run(runner, "simulate", "--leads", "40", "--seed", "3", "--json")
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    accepted = summary["events"]["accepted"]
    assert accepted > 40
    assert set(summary["events"]) == {"accepted"}

    again = _run(runner, "simulate", "--leads", "40", "--seed", "3", "--json")
    assert json.loads(again.stdout)["events"] == {"duplicate": accepted}
    # Live prospects come on top of the same funnel: only their events are new.
    live = json.loads(
        _run(runner, "simulate", "--leads", "40", "--seed", "3", "--live", "4", "--json").stdout
    )
    assert live["live"] == 4
    assert live["events"]["duplicate"] == accepted
    assert live["events"]["accepted"] >= 4 * 6


def test_simulate_refuses_a_bad_count(runner: CliRunner, clinch_home: Path) -> None:
    result = _run(runner, "simulate", "--leads", "0")
    assert result.exit_code != 0
