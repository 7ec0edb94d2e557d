"""The marketer's sequence routes on the real app and store: save, versions, pause, funnel, A/B.

The module's tests share one app and store; each works on a sequence key of its own.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.resources import AppResources
from leads.db import unit_of_work
from leads.models import AuditEntry
from leads.nurture_models import NurtureSequence, NurtureSequenceVersion
from tests.nurture.factories_stats import AB_SEQUENCE, add_templates, enroll, log, save, split_arm

Headers = dict[str, str]


def definition(key: str, *, wait: str = "2d", template: str = "welcome") -> dict[str, Any]:
    """Return a small valid definition as JSON data."""
    return {
        "key": key,
        "name": f"Sequence {key}",
        "steps": [
            {"id": "welcome", "email": template},
            {"id": "pause", "wait": wait},
            {"id": "offer", "email": "offer-a"},
        ],
    }


@pytest.fixture(scope="module")
def library(resources: AppResources) -> None:
    """The templates the module's sequences name."""
    with unit_of_work(resources.sessions) as session:
        add_templates(session)


def _stored(resources: AppResources) -> tuple[int, int, int]:
    with unit_of_work(resources.sessions) as session:
        return (
            session.scalar(select(func.count()).select_from(NurtureSequence)) or 0,
            session.scalar(select(func.count()).select_from(NurtureSequenceVersion)) or 0,
            session.scalar(
                select(func.count()).where(AuditEntry.action == "nurture.sequence_saved")
            )
            or 0,
        )


def test_a_definition_is_saved_as_versions_in_json_and_yaml(
    client: TestClient, auth: dict[str, Headers], library: None
) -> None:
    marketer = auth["marketer"]
    url = "/v1/nurture/sequences/saved"
    first = client.put(url, json=definition("saved"), headers=marketer)
    assert first.status_code == 201, first.text
    assert first.json()["version"] == 1
    assert first.json()["created"] is True
    again = client.put(url, json=definition("saved"), headers=marketer)
    assert again.status_code == 200
    assert (again.json()["version"], again.json()["created"]) == (1, False)
    text = (
        "key: saved\nname: Sequence saved\nsteps:\n"
        "  - {id: welcome, email: welcome}\n  - {id: pause, wait: 3d}\n"
        "  - {id: offer, email: offer-a}\n"
    )
    yaml_headers = {**marketer, "Content-Type": "application/yaml"}
    edited = client.put(url, content=text, headers=yaml_headers)
    assert edited.status_code == 201, edited.text
    assert edited.json()["version"] == 2
    as_text_yaml = client.put(url, content=text, headers={**marketer, "Content-Type": "text/yaml"})
    assert as_text_yaml.status_code == 200

    shown = client.get(url, headers=auth["rep"])
    assert shown.status_code == 200
    body = shown.json()
    assert (body["key"], body["name"], body["latest_version"], body["active"]) == (
        "saved",
        "Sequence saved",
        2,
        True,
    )
    assert [v["version"] for v in body["versions"]] == [2, 1]
    assert body["versions"][0]["created_by"] == "marketer key test marketer"
    assert body["definition"]["steps"][1]["wait"] == {"duration": "3d"}
    assert [(s["id"], s["kind"], s["summary"]) for s in body["steps"]] == [
        ("welcome", "email", "send welcome"),
        ("pause", "wait", "wait 3d"),
        ("offer", "email", "send offer-a"),
    ]
    assert body["steps"][0]["goes_to"] == ["pause"]
    assert body["exit_on"] == sorted(body["exit_on"])

    old = client.get(f"{url}/versions/1", headers=marketer)
    assert old.status_code == 200
    assert old.json()["definition"]["steps"][1]["wait"] == {"duration": "2d"}
    assert (old.json()["version"], old.json()["latest_version"]) == (1, 2)
    assert old.json()["info"]["version"] == 1
    missing = client.get(f"{url}/versions/9", headers=marketer)
    assert missing.status_code == 404
    assert "has no version 9" in missing.json()["detail"]
    listed = {s["key"]: s for s in client.get("/v1/nurture/sequences", headers=marketer).json()}
    assert (listed["saved"]["latest_version"], listed["saved"]["versions"]) == (2, 2)


def test_a_rejected_definition_names_every_problem_and_stores_nothing(
    client: TestClient, auth: dict[str, Headers], resources: AppResources, library: None
) -> None:
    marketer = auth["marketer"]
    url = "/v1/nurture/sequences/rejected"
    before = _stored(resources)
    bad = definition("rejected", wait="soon", template="welcom")
    bad["steps"].append({"id": "loop", "email": "welcome", "next": "nowhere"})
    refused = client.put(url, json=bad, headers=marketer)
    assert refused.status_code == 422
    assert refused.json()["error"] == "invalid_sequence"
    assert "'soon' is not a duration" in refused.json()["detail"]
    shape = dict(bad, steps=[*definition("rejected", template="welcom")["steps"], bad["steps"][-1]])
    problems = client.put(url, json=shape, headers=marketer).json()["detail"]
    assert "unknown step 'nowhere'" in problems
    assert "unknown template 'welcom' (did you mean 'welcome'?)" in problems

    mismatch = client.put(url, json=definition("other"), headers=marketer)
    assert mismatch.status_code == 422
    assert "the body says 'other' but the path says 'rejected'" in mismatch.json()["detail"]
    both = client.put(url, json=dict(definition("other"), steps=[]), headers=marketer)
    assert "the body says 'other'" in both.json()["detail"]
    assert "steps" in both.json()["detail"]

    yaml_headers = {**marketer, "Content-Type": "application/yaml"}
    not_yaml = client.put(url, content="key: [unclosed", headers=yaml_headers)
    assert not_yaml.status_code == 422
    assert "not YAML" in not_yaml.json()["detail"]
    not_json = client.put(
        url, content="{", headers={**marketer, "Content-Type": "application/json"}
    )
    assert not_json.status_code == 422
    assert "not JSON" in not_json.json()["detail"]
    not_a_mapping = client.put(url, json=["key"], headers=marketer)
    assert not_a_mapping.status_code == 422
    binary = client.put(url, content=b"\xff\xfe", headers=yaml_headers)
    assert "not UTF-8" in binary.json()["detail"]
    plain = client.put(url, content="key: x", headers={**marketer, "Content-Type": "text/plain"})
    assert plain.status_code == 415
    huge = client.put(url, content=b"x" * (300 * 1024), headers=yaml_headers)
    assert huge.status_code == 413
    bad_key = client.put("/v1/nurture/sequences/Not%20A%20Key", json={}, headers=marketer)
    assert bad_key.status_code == 422

    assert _stored(resources) == before
    assert client.get(url, headers=marketer).status_code == 404


def test_only_staff_read_and_only_marketers_and_admins_change(
    client: TestClient, auth: dict[str, Headers], library: None
) -> None:
    url = "/v1/nurture/sequences/guarded"
    assert client.get("/v1/nurture/sequences").status_code == 401
    assert client.get("/v1/nurture/sequences", headers=auth["site"]).status_code == 403
    assert client.get("/v1/nurture/sequences", headers=auth["rep"]).status_code == 200
    refused = client.put(url, json=definition("guarded"), headers=auth["rep"])
    assert refused.status_code == 403
    assert "role 'rep' may not call this route" in refused.json()["detail"]
    assert client.put(url, json=definition("guarded"), headers=auth["admin"]).status_code == 201
    assert client.post(f"{url}/pause", headers=auth["rep"]).status_code == 403
    assert client.post(f"{url}/pause", headers=auth["site"]).status_code == 403


def test_pause_and_resume(client: TestClient, auth: dict[str, Headers], library: None) -> None:
    marketer = auth["marketer"]
    url = "/v1/nurture/sequences/pausing"
    assert client.put(url, json=definition("pausing"), headers=marketer).status_code == 201
    paused = client.post(f"{url}/pause", headers=marketer)
    assert paused.status_code == 200
    assert paused.json() == {"key": "pausing", "active": False}
    assert client.get(url, headers=marketer).json()["active"] is False
    listed = {s["key"]: s for s in client.get("/v1/nurture/sequences", headers=marketer).json()}
    assert listed["pausing"]["active"] is False
    assert client.post(f"{url}/resume", headers=marketer).json()["active"] is True
    assert client.get(url, headers=marketer).json()["active"] is True


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", ""),
        ("get", "/versions/1"),
        ("get", "/funnel"),
        ("get", "/ab"),
        ("post", "/pause"),
        ("post", "/resume"),
        ("get", "/steps/welcome/preview?lead_id=1"),
    ],
)
def test_an_unknown_sequence_is_404(
    client: TestClient, auth: dict[str, Headers], method: str, path: str
) -> None:
    response = client.request(method, f"/v1/nurture/sequences/nope{path}", headers=auth["admin"])
    assert response.status_code == 404
    assert response.json()["error"] == "sequence_not_found"
    assert "no sequence has key 'nope'" in response.json()["detail"]


def test_the_funnel_and_the_ab_verdict(
    client: TestClient, auth: dict[str, Headers], resources: AppResources
) -> None:
    with unit_of_work(resources.sessions) as session:
        sequence_id = save(session, AB_SEQUENCE)
        split_arm(
            session, sequence_id=sequence_id, variant="A", leads=200, clicked=50, converted=20
        )
        split_arm(
            session, sequence_id=sequence_id, variant="B", leads=200, clicked=70, converted=45
        )
        waiting = enroll(session, sequence_id=sequence_id, step_id="pause")
        log(session, waiting, ("welcome", "entered"), ("pause", "entered"))
    marketer = auth["marketer"]
    funnel = client.get("/v1/nurture/sequences/ab/funnel", headers=marketer)
    assert funnel.status_code == 200, funnel.text
    body = funnel.json()
    assert (body["enrolled"], body["active"], body["converted"], body["version"]) == (
        401,
        1,
        65,
        None,
    )
    steps = {s["step_id"]: s for s in body["steps"]}
    assert list(steps) == ["welcome", "pause", "offer-test", "offer-a", "offer-b", "done"]
    assert (steps["offer-a"]["entered"], steps["offer-a"]["sent"]) == (200, 200)
    assert (steps["offer-b"]["clicked"], steps["pause"]["waiting"]) == (70, 1)
    one = client.get("/v1/nurture/sequences/ab/funnel?version=1", headers=marketer).json()
    assert one["version"] == 1
    assert (
        client.get("/v1/nurture/sequences/ab/funnel?version=0", headers=marketer).status_code == 422
    )
    assert (
        client.get("/v1/nurture/sequences/ab/funnel?version=7", headers=marketer).status_code == 404
    )

    ab = client.get("/v1/nurture/sequences/ab/ab", headers=marketer)
    assert ab.status_code == 200
    assert "at least 100 leads" in ab.json()["rule"]
    (split,) = ab.json()["splits"]
    assert split["step_id"] == "offer-test"
    assert split["metric"] == "converted"
    a, b = split["arms"]
    assert (a["variant"], a["enrolled"], a["converted"]["count"]) == ("A", 200, 20)
    assert b["converted"]["rate"] == pytest.approx(0.225)
    assert b["converted"]["low"] < 0.225 < b["converted"]["high"]
    assert b["clicked"]["count"] == 70
    assert split["verdict"]["outcome"] == "winner"
    assert split["verdict"]["summary"] == "winner: B"
    assert split["verdict"]["p_value"] < 0.05
    assert json.dumps(split)  # plain JSON all through


def test_a_sequence_without_splits_has_none(
    client: TestClient, auth: dict[str, Headers], library: None
) -> None:
    url = "/v1/nurture/sequences/no-split"
    assert client.put(url, json=definition("no-split"), headers=auth["admin"]).status_code == 201
    assert client.get(f"{url}/ab", headers=auth["rep"]).json()["splits"] == []
    funnel = client.get(f"{url}/funnel", headers=auth["rep"]).json()
    assert [s["entered"] for s in funnel["steps"]] == [0, 0, 0]
