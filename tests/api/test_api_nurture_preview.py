"""Templates, previews, lead search and dry-runs on the real app and store."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.resources import AppResources
from leads.db import unit_of_work
from leads.models import utcnow
from leads.nurture_models import Enrollment, NurtureSend, NurtureStepLog
from tests.nurture.factories_stats import AB_SEQUENCE, prospect

Headers = dict[str, str]
WELCOME = {
    "subject": "Welcome to {{ company }}, {{ lead.first_name | default('there') }}",
    "text": "Hi {{ lead.first_name | default('there') }} at "
    "{{ lead.company | default('your team') }}!\nUnsubscribe: {{ unsubscribe_url }}\n",
    "html": "<p>Hi <b>{{ lead.first_name | default('there') }}</b></p>"
    '<a href="{{ unsubscribe_url }}">Unsubscribe</a>',
}


def _offer(letter: str) -> dict[str, str]:
    return {
        "subject": f"Offer {letter} for {{{{ lead.company | default('you') }}}}",
        "text": f"Offer {letter}. {{{{ unsubscribe_url }}}}",
    }


@pytest.fixture(scope="module")
def prepared(
    client: TestClient, auth: dict[str, Headers], resources: AppResources
) -> dict[str, int]:
    """The library, the A/B sequence and a few prospects who consented (one who did not)."""
    marketer = auth["marketer"]
    for name, body in (("welcome", WELCOME), ("offer-a", _offer("A")), ("offer-b", _offer("B"))):
        saved = client.put(f"/v1/nurture/templates/{name}", json=body, headers=marketer)
        assert saved.status_code == 201, saved.text
    yaml_headers = {**marketer, "Content-Type": "application/yaml"}
    put = client.put("/v1/nurture/sequences/ab", content=AB_SEQUENCE, headers=yaml_headers)
    assert put.status_code == 201, put.text
    now = utcnow() - timedelta(minutes=1)
    with unit_of_work(resources.sessions) as session:
        leads = {
            f"p{i}": prospect(
                session, email=f"preview{i}@berlin.example", name=f"Pia{i} Peters", at=now
            )
            for i in range(4)
        }
        leads["silent"] = prospect(session, email="silent@berlin.example", consent=None, at=now)
        leads["anon"] = prospect(
            session, email="nameless@nowhere.example", name="", company="", at=now
        )
    return leads


def test_templates_are_listed_saved_and_checked(
    client: TestClient, auth: dict[str, Headers], prepared: dict[str, int]
) -> None:
    marketer = auth["marketer"]
    listed = client.get("/v1/nurture/templates", headers=auth["rep"])
    assert [t["name"] for t in listed.json()] == ["offer-a", "offer-b", "welcome"]
    welcome = client.get("/v1/nurture/templates/welcome", headers=marketer).json()
    assert (welcome["subject"], welcome["version"]) == (WELCOME["subject"], 1)
    same = client.put("/v1/nurture/templates/welcome", json=WELCOME, headers=marketer)
    assert same.status_code == 200
    assert same.json()["changed"] is False
    changed = client.put(
        "/v1/nurture/templates/spare", json={**WELCOME, "subject": "Hello"}, headers=marketer
    )
    assert changed.status_code == 201
    assert changed.json()["version"] == 1
    edited = client.put(
        "/v1/nurture/templates/spare", json={**WELCOME, "subject": "Hi"}, headers=marketer
    )
    assert (edited.status_code, edited.json()["version"], edited.json()["changed"]) == (
        201,
        2,
        True,
    )

    bad = {"subject": "{{ lead.frist_name }}", "text": "no link here"}
    refused = client.put("/v1/nurture/templates/broken", json=bad, headers=marketer)
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert "unknown variable 'lead.frist_name'" in detail
    assert "did you mean 'lead.first_name'" in detail
    assert "no unsubscribe link" in detail
    assert client.get("/v1/nurture/templates/broken", headers=marketer).status_code == 404
    assert (
        client.put("/v1/nurture/templates/x", json={"text": "t"}, headers=marketer).status_code
        == 422
    )
    assert (
        client.put("/v1/nurture/templates/Bad%20Name", json=WELCOME, headers=marketer).status_code
        == 422
    )
    assert (
        client.put("/v1/nurture/templates/spare", json=WELCOME, headers=auth["rep"]).status_code
        == 403
    )
    missing = client.get("/v1/nurture/templates/nope", headers=marketer)
    assert missing.status_code == 404
    assert missing.json()["error"] == "template_not_found"


def test_a_step_previews_for_a_lead(
    client: TestClient, auth: dict[str, Headers], resources: AppResources, prepared: dict[str, int]
) -> None:
    sender = resources.nurture.company_name
    url = "/v1/nurture/sequences/ab/steps"
    lead = prepared["p0"]
    shown = client.get(f"{url}/welcome/preview?lead_id={lead}", headers=auth["marketer"])
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["subject"] == f"Welcome to {sender}, Pia0"
    assert (body["to"], body["template"], body["version"]) == (
        "preview0@berlin.example",
        "welcome",
        1,
    )
    assert "Hi Pia0 at Acme!" in body["text"]
    assert "<b>Pia0</b>" in body["html"]
    plain = client.get(f"{url}/offer-b/preview?lead_id={lead}", headers=auth["rep"]).json()
    assert plain["html"] is None
    assert plain["subject"] == "Offer B for Acme"
    anon = client.get(f"{url}/welcome/preview?lead_id={prepared['anon']}", headers=auth["admin"])
    assert anon.json()["subject"] == f"Welcome to {sender}, there"

    wait = client.get(f"{url}/pause/preview?lead_id={lead}", headers=auth["marketer"])
    assert wait.status_code == 404
    assert "is a wait step: only email steps can be previewed" in wait.json()["detail"]
    unknown_step = client.get(f"{url}/nope/preview?lead_id={lead}", headers=auth["marketer"])
    assert unknown_step.status_code == 404
    assert "email steps: welcome, offer-a, offer-b" in unknown_step.json()["detail"]
    unknown_lead = client.get(f"{url}/welcome/preview?lead_id=999999", headers=auth["marketer"])
    assert unknown_lead.status_code == 404
    assert unknown_lead.json()["error"] == "lead_not_found"
    assert client.get(f"{url}/welcome/preview", headers=auth["marketer"]).status_code == 422
    assert client.get(f"{url}/welcome/preview?lead_id=1").status_code == 401


def test_leads_are_found_by_email(
    client: TestClient, auth: dict[str, Headers], prepared: dict[str, int]
) -> None:
    found = client.get("/v1/nurture/leads?email=BERLIN", headers=auth["marketer"]).json()
    assert [m["email"] for m in found][:2] == ["preview0@berlin.example", "preview1@berlin.example"]
    assert found[0] == {
        "id": prepared["p0"],
        "email": "preview0@berlin.example",
        "name": "Pia0 Peters",
        "company": "Acme",
    }
    few = client.get("/v1/nurture/leads?email=berlin&limit=2", headers=auth["marketer"]).json()
    assert len(few) == 2
    assert client.get("/v1/nurture/leads?email=%25", headers=auth["marketer"]).json() == []
    assert client.get("/v1/nurture/leads?email=zzz-none", headers=auth["marketer"]).json() == []
    assert client.get("/v1/nurture/leads?email=", headers=auth["marketer"]).status_code == 422


def _rows(resources: AppResources) -> tuple[int, ...]:
    with unit_of_work(resources.sessions) as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Enrollment, NurtureSend, NurtureStepLog)
        )


def test_a_dry_run_simulates_without_writing(
    client: TestClient, auth: dict[str, Headers], resources: AppResources, prepared: dict[str, int]
) -> None:
    url = "/v1/nurture/sequences/ab/dry-run"
    before = _rows(resources)
    chosen = [prepared[n] for n in ("p0", "p1", "p2", "p3", "silent")]
    ran = client.post(url, json={"lead_ids": chosen, "days": 10}, headers=auth["marketer"])
    assert ran.status_code == 200, ran.text
    body = ran.json()
    assert (body["key"], body["version"], body["sampled"], body["days"]) == ("ab", 1, 5, 10)
    assert body["outcomes"] == {"completed": 4, "exited": 1}
    assert body["exit_reasons"]["no_consent"] == 1
    assert body["emails"] == 8
    assert sum(body["emails_by_day"]) == 8
    assert len(body["emails_by_day"]) == 10
    steps = {s["step_id"]: s for s in body["steps"]}
    assert steps["welcome"]["counts"]["sent"] == 4
    assert steps["offer-a"]["counts"]["sent"] + steps["offer-b"]["counts"]["sent"] == 4
    assert steps["offer-test"]["counts"]["entered"] == 4
    paths = {p["lead_id"]: p for p in body["leads"]}
    assert paths[prepared["silent"]]["status"] == "exited"
    assert paths[prepared["p0"]]["entries"][0]["step_id"] == "welcome"
    assert paths[prepared["p0"]]["emails"] == 2
    sampled = client.post(url, json={"sample": 3, "seed": 4}, headers=auth["rep"])
    assert sampled.status_code == 200
    assert sampled.json()["sampled"] == 3
    assert _rows(resources) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sample": 0}, "sample"),
        ({"sample": 501}, "sample"),
        ({"days": 0}, "days"),
        ({"days": 91}, "days"),
        ({"lead_ids": []}, "lead_ids"),
        ({"lead_ids": list(range(1, 502))}, "lead_ids"),
        ({"version": 0}, "version"),
        ({"samples": 3}, "samples"),
    ],
)
def test_a_dry_run_refuses_bad_limits(
    client: TestClient,
    auth: dict[str, Headers],
    prepared: dict[str, int],
    body: dict[str, object],
    field: str,
) -> None:
    refused = client.post("/v1/nurture/sequences/ab/dry-run", json=body, headers=auth["marketer"])
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == field


def test_a_dry_run_of_unknown_things_is_404(
    client: TestClient, auth: dict[str, Headers], prepared: dict[str, int]
) -> None:
    admin = auth["admin"]
    no_lead = client.post(
        "/v1/nurture/sequences/ab/dry-run", json={"lead_ids": [999999]}, headers=admin
    )
    assert no_lead.status_code == 404
    assert "no lead has id 999999" in no_lead.json()["detail"]
    no_version = client.post("/v1/nurture/sequences/ab/dry-run", json={"version": 5}, headers=admin)
    assert no_version.status_code == 404
    no_sequence = client.post("/v1/nurture/sequences/nope/dry-run", json={}, headers=admin)
    assert no_sequence.status_code == 404
