"""The routing rules file: the demo's loads; a typo or a bad value is refused with its place."""

from __future__ import annotations

from pathlib import Path

import pytest

from routing.errors import InvalidRules
from routing.rules import parse_rules, read_rules_text, rules_version

DEMO_RULES = Path(__file__).resolve().parents[2] / "demo" / "routing.yaml"


def test_the_demo_rules_load_with_segments_territories_and_slas() -> None:
    rules = parse_rules(read_rules_text(DEMO_RULES))
    assert [s.name for s in rules.segments] == ["enterprise", "mid-market", "self-serve"]
    assert rules.territory_of("de") == "emea"
    assert rules.territory_of("ZZ") is None
    assert rules.segment_of(team_size="1000+", country="US").name == "enterprise"
    assert rules.segment_of(team_size="1-10", country="US").name == "self-serve"
    assert rules.sla_minutes.for_band("hot") == 5
    assert rules.sla_minutes.for_band("unknown") == rules.sla_minutes.cold


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ("segments:\n  - {name: a, assign_at: 0.5, nurtur: x}\n", "did you mean `nurture`"),
        ("segmnts: []\n", "segmnts: unknown key (did you mean `segments`"),
        ("hard_rules: {asked_for_humans: hot}\n", "hard_rules.asked_for_humans: unknown key"),
        ("segments:\n  - {name: a, assign_at: 1.5, nurture: x}\n", "segments[0].assign_at"),
        (
            "segments:\n  - {name: a, when: {team_size: ['1+']}, assign_at: 0.5, nurture: x}\n",
            "the last segment must have no `when:`",
        ),
        (
            "segments:\n  - {name: a, assign_at: 0.5, nurture: x}\n"
            "  - {name: a, assign_at: 0.5, nurture: y}\n",
            "repeated: a",
        ),
        ("territories: {emea: [DE], dach: [de]}\n", "DE is in both emea and dach"),
        ("disqualify: {email_patterns: ['(']}\n", "is not a regular expression"),
        ("sla_minutes: {hot: 0}\n", "sla_minutes.hot"),
        ("hard_rules: {existing_customer: nobody}\n", "hard_rules.existing_customer"),
        ("- just a list\n", "must be a mapping"),
        ("segments: [\n", "is not YAML"),
    ],
)
def test_a_bad_file_names_every_problem(document: str, problem: str) -> None:
    with pytest.raises(InvalidRules) as caught:
        parse_rules(document, source="rules.yaml")
    assert problem in caught.value.message
    assert caught.value.message.startswith("rules.yaml")


def test_files_are_checked_before_reading_and_versions_follow_content(tmp_path: Path) -> None:
    with pytest.raises(InvalidRules, match="is not a file"):
        read_rules_text(tmp_path / "missing.yaml")
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InvalidRules, match="not UTF-8"):
        read_rules_text(binary)
    assert rules_version("a: 1") == rules_version("a: 1")
    assert rules_version("a: 1") != rules_version("a: 2")
