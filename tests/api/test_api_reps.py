"""The rep's routes on the real app and a real SQLite store: leads, actions, queue, team, history.

The app is built as `clinch serve` builds it, except that the notices it would hand to Celery are
recorded, with whether each was already committed when it was handed over. Each test routes its
own leads in a segment of its own (picked by country), so the module's tests share one store.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.auth import create_key
from api.resources import AppResources
from clinch.server import build_resources
from clinch.settings import Settings
from leads.conversations import add_message, start_conversation
from leads.db import unit_of_work
from leads.models import Assignment, AuditEntry, Notification
from leads.reps import find_rep_by_email
from retrieval.embedder import SentenceEmbedder
from routing.service import route_lead
from routing.sla import sweep_sla
from tests.api.conftest import bearer, isolated_settings, link_model_cache
from tests.routing.factories import add_reps, loaded, make_lead

SEGMENTS = ("mine", "guard", "moved", "drain", "team", "hist", "keys")
RULES_TEXT = (
    "segments:\n"
    + "".join(
        f"  - {{name: {name}, when: {{country: [X{i}]}}, assign_at: 0.3, nurture: n-{name}}}\n"
        for i, name in enumerate(SEGMENTS)
    )
    + "  - {name: rest, assign_at: 0.3, nurture: n-rest}\n"
    + "sla_minutes: {hot: 60, warm: 120, cold: 240}\n"
)
RULES = loaded(RULES_TEXT)
Headers = dict[str, str]


def _zone_at_noon() -> str:
    """An Etc zone whose clock reads about noon now, so its reps are working whenever this runs."""
    offset = 12 - datetime.now(UTC).hour
    return "Etc/UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"


@dataclass
class Outbox:
    """Stands in for Celery: records each batch of notices and whether it was committed yet."""

    sessions: sessionmaker[Session] | None = None
    batches: list[tuple[list[int], bool]] = field(default_factory=list)

    def __call__(self, ids: list[int]) -> None:
        assert self.sessions is not None
        with self.sessions() as fresh:  # a new connection sees committed rows only
            seen = set(fresh.scalars(select(Notification.id).where(Notification.id.in_(ids))))
        self.batches.append((list(ids), seen == set(ids)))

    def sent(self) -> list[int]:
        return [i for ids, _ in self.batches for i in ids]


@dataclass(frozen=True)
class Api:
    client: TestClient
    sessions: sessionmaker[Session]
    outbox: Outbox


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, embedder: SentenceEmbedder) -> Iterator[Api]:
    del embedder  # the shared ONNX export must exist before it is linked
    home = tmp_path_factory.mktemp("reps-home")
    link_model_cache(home)
    settings: Settings = isolated_settings(home)
    settings.routing_rules_path.write_text(RULES_TEXT)
    outbox = Outbox()

    def open_resources() -> AppResources:
        built = build_resources(settings)
        outbox.sessions = built.sessions
        return replace(built, enqueue_notices=outbox)

    with TestClient(create_app(open_resources)) as client:
        resources: AppResources = client.app.state.resources  # type: ignore[attr-defined]
        yield Api(client, resources.sessions, outbox)


def _reps(api: Api, segment: str, *people: str, manager: str | None = None) -> dict[str, Headers]:
    """Store working reps of one team selling to `segment`, each with a linked rep key."""
    zone, team = _zone_at_noon(), f"team-{segment}"
    hours = 'working_days: [mon, tue, wed, thu, fri, sat, sun], working_hours: "08:00-16:00"'
    lines = [
        f"  - {{name: {p.title()} {segment}, email: {p}@{segment}.test, team: {team}, "
        f"segments: [{segment}], timezone: {zone}, capacity: 5, {hours}}}"
        for p in people
    ]
    if manager:
        lines.append(
            f"  - {{name: {manager.title()} Boss, email: {manager}@{segment}.test, team: {team}, "
            f"is_manager: true, capacity: 0, timezone: {zone}}}"
        )
    with unit_of_work(api.sessions) as session:
        add_reps(session, "reps:\n" + "\n".join(lines) + "\n")
        return {
            p: bearer(
                create_key(session, name=p, role="rep", rep_email=f"{p}@{segment}.test").secret
            )
            for p in [*people, *([manager] if manager else [])]
        }


def _lead(api: Api, segment: str, name: str, probability: float) -> int:
    """Create a scored lead of the segment and route it now (at a company of its own)."""
    country, now = f"X{SEGMENTS.index(segment)}", datetime.now(UTC)
    # A rep who accepts a lead owns its account, and then gets every lead of that company.
    email = f"{name}@{name}-{segment}.example"
    with unit_of_work(api.sessions) as session:
        lead_id = make_lead(session, email=email, probability=probability, country=country, at=now)
        route_lead(session, lead_id=lead_id, rules=RULES, now=now)
    return lead_id


def _admin(api: Api, name: str = "boss") -> Headers:
    with unit_of_work(api.sessions) as session:
        return bearer(create_key(session, name=name, role="admin").secret)


def _snapshot(api: Api, lead_id: int) -> tuple[list[tuple[int, int, str]], int, int]:
    """Return what a rejected request must keep: the lead's assignments, audit, all notices."""
    with api.sessions() as session:
        rows = session.scalars(select(Assignment).where(Assignment.lead_id == lead_id))
        audits = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.subject_type == "lead", AuditEntry.subject_id == str(lead_id))
        )
        notices = session.scalar(select(func.count()).select_from(Notification))
        return sorted((a.id, a.rep_id, a.state) for a in rows), int(audits or 0), int(notices or 0)


def _ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def _act(api: Api, lead_id: int, action: str, who: Headers, body: object = None) -> Any:
    """POST a rep action on a lead; return the response."""
    return api.client.post(f"/v1/reps/me/leads/{lead_id}/{action}", json=body, headers=who)


def _get(api: Api, path: str, who: Headers) -> Any:
    return api.client.get(path, headers=who)


def _available(api: Api, who: Headers, *, available: bool) -> Any:
    return api.client.put("/v1/reps/me/availability", json={"available": available}, headers=who)


def _error(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.json()["error"] == code, response.text
    detail: str = response.json()["detail"]
    return detail


def test_a_rep_sees_only_their_own_leads_best_score_first_with_chat_and_accepts(api: Api) -> None:
    ann = _reps(api, "mine", "ann")["ann"]
    _reps(api, "keys", "zed")
    low, top, mid = (_lead(api, "mine", n, p) for n, p in [("l", 0.4), ("t", 0.9), ("m", 0.6)])
    theirs = _lead(api, "keys", "z", 0.95)
    now = datetime.now(UTC)
    with unit_of_work(api.sessions) as session:
        chat = start_conversation(session, session_id="inbox-chat-1", anonymous_id="a1", at=now)
        chat.lead_id, chat.handoff_requested_at = top, now
        add_message(session, conversation=chat, role="prospect", text="A person, please", at=now)

    body = _ok(_get(api, "/v1/reps/me/leads", ann))
    assert body["rep"]["email"] == "ann@mine.test"
    assert [x["lead_id"] for x in body["leads"]] == [top, mid, low]
    assert theirs not in {x["lead_id"] for x in body["leads"]}
    first = body["leads"][0]
    assert (first["state"], first["band"], first["sla"]["status"]) == ("offered", "hot", "pending")
    assert 3500 < first["sla"]["seconds_left"] <= 3600
    assert any("score 90% ≥ 30% for mine" in r for r in first["reasons"])
    assert first["score_reasons"] == ["visited pricing 3 times"]
    assert (first["chat"]["session_id"], first["chat"]["handoff_open"]) == ("inbox-chat-1", True)
    assert [t["text"] for t in first["chat"]["turns"]] == ["A person, please"]

    accepted = _ok(_act(api, top, "accept", ann))
    assignment = accepted["assignment"]
    assert (accepted["status"], assignment["state"], assignment["sla"]["status"]) == (
        "assigned",
        "accepted",
        "met",
    )
    assert _ok(_act(api, top, "accept", ann))["assignment"]["state"] == "accepted"  # harmless
    again = _ok(_get(api, "/v1/reps/me/leads", ann))["leads"]
    assert [x["state"] for x in again] == ["accepted", "offered", "offered"]


def test_someone_elses_lead_is_403_and_a_lead_handed_on_409_and_nothing_changes(
    api: Api,
) -> None:
    gus = _reps(api, "guard", "gus")["gus"]
    kim = _reps(api, "keys", "kim")["kim"]
    lead = _lead(api, "guard", "g", 0.8)
    before, sent = _snapshot(api, lead), len(api.outbox.sent())
    attempts = [
        ("accept", None),
        ("disposition", {"outcome": "won"}),
        ("reassign", {"reason": "x"}),
    ]
    for action, body in attempts:
        detail = _error(_act(api, lead, action, kim, body), 403, "not_your_lead")
        assert "assigned to Gus guard, not to you" in detail
    assert _snapshot(api, lead) == before
    assert len(api.outbox.sent()) == sent
    assert _ok(_get(api, "/v1/reps/me/leads", gus))["leads"][0]["state"] == "offered"
    # No other rep sells to this segment: handed on, the lead waits in the queue.
    handed = _ok(_act(api, lead, "reassign", gus, {"reason": "on leave"}))
    assert (handed["status"], handed["assignment"]["state"]) == ("queued", "reassigned")
    assert "can take it now" in handed["queued_why"]
    before = _snapshot(api, lead)
    for action, body in attempts:
        assert "re-assigned" in _error(_act(api, lead, action, gus, body), 409, "lead_not_assigned")
    assert _snapshot(api, lead) == before


def test_a_lead_handed_to_a_named_rep_is_theirs_and_lost_needs_a_reason(api: Api) -> None:
    keys = _reps(api, "moved", "mia", "mo")
    mia, mo = keys["mia"], keys["mo"]
    leads = [_lead(api, "moved", f"mv{i}", 0.7) for i in range(2)]
    with api.sessions() as session:
        mia_id = find_rep_by_email(session, email="mia@moved.test").id
        query = select(Assignment.lead_id).where(
            Assignment.lead_id.in_(leads), Assignment.rep_id == mia_id
        )
        lead = session.scalars(query).one()
    _error(_act(api, lead, "reassign", mia, {"reason": "  "}), 422, "invalid_request")
    before = _snapshot(api, lead)
    nobody = {"to_rep_email": "nobody@moved.test", "reason": "out sick"}
    _error(_act(api, lead, "reassign", mia, nobody), 404, "rep_not_found")
    assert _snapshot(api, lead) == before

    sent = len(api.outbox.batches)
    to_mo = {"to_rep_email": "mo@moved.test", "reason": "speaks German"}
    handed = _ok(_act(api, lead, "reassign", mia, to_mo))["assignment"]
    assert (handed["rep_name"], handed["state"]) == ("Mo moved", "offered")
    ((ids, committed),) = api.outbox.batches[sent:]  # the new offer's notices, once committed
    assert ids
    assert committed
    assert "Mo moved" in _error(_act(api, lead, "accept", mia), 403, "not_your_lead")

    before = _snapshot(api, lead)
    for lost in ({"outcome": "lost"}, {"outcome": "lost", "reason": "   "}):
        detail = _error(_act(api, lead, "disposition", mo, lost), 422, "invalid_disposition")
        assert "needs a reason" in detail
    assert _snapshot(api, lead) == before
    lost = {"outcome": "lost", "reason": "chose a competitor"}
    done = _ok(_act(api, lead, "disposition", mo, lost))
    assert (done["status"], done["assignment"]["state"]) == ("lost", "closed")
    assert done["assignment"]["disposition_reason"] == "chose a competitor"
    assert "not with a rep now" in _error(_act(api, lead, "accept", mo), 409, "lead_not_assigned")


def test_coming_online_drains_the_queue_to_the_rep(api: Api) -> None:
    dee = _reps(api, "drain", "dee")["dee"]
    off = _ok(_available(api, dee, available=False))
    assert (off["rep"]["available"], off["offered_lead_ids"]) == (False, [])
    lead = _lead(api, "drain", "d", 0.8)
    queue = _ok(_get(api, "/v1/reps/me/queue", dee))
    assert [q["lead_id"] for q in queue] == [lead]
    assert "matching reps can take it now" in queue[0]["why"]
    assert _ok(_get(api, "/v1/reps/me/leads", dee))["leads"] == []

    sent = len(api.outbox.batches)
    on = _ok(_available(api, dee, available=True))
    assert (on["rep"]["available"], on["offered_lead_ids"]) == (True, [lead])
    ((ids, committed),) = api.outbox.batches[sent:]
    assert ids
    assert committed
    assert _ok(_get(api, "/v1/reps/me/queue", dee)) == []
    mine = _ok(_get(api, "/v1/reps/me/leads", dee))["leads"]
    assert [(x["lead_id"], x["state"]) for x in mine] == [(lead, "offered")]
    assert any("waited in the queue" in r for r in mine[0]["reasons"])


def test_a_manager_sees_the_team_and_a_rep_may_not(api: Api) -> None:
    keys = _reps(api, "team", "tia", "tom", manager="max")
    lead = _lead(api, "team", "t", 0.8)
    now = datetime.now(UTC)
    with unit_of_work(api.sessions) as session:
        first = session.scalars(select(Assignment).where(Assignment.lead_id == lead)).one()
        missed_by, first.sla_due_at = first.rep_id, now - timedelta(minutes=1)
        session.flush()
        (miss,) = sweep_sla(session, rules=RULES, now=now)
    assert miss.lead_id == lead
    for rep in ("tia", "tom"):
        assert "manager" in _error(_get(api, "/v1/reps/me/team", keys[rep]), 403, "not_a_manager")
    team = _ok(_get(api, "/v1/reps/me/team", keys["max"]))
    assert team["team"] == "team-team"
    assert {r["name"] for r in team["reps"]} == {"Tia team", "Tom team", "Max Boss"}
    (live,) = team["leads"]
    assert live["lead_id"] == lead
    assert live["rep_id"] != missed_by
    assert (live["state"], live["sla"]["status"]) == ("offered", "pending")
    assert [(m["lead_id"], m["rep_id"]) for m in team["misses"]] == [(lead, missed_by)]
    assert team["queue"] == []


def test_routing_history_lists_the_decision_and_each_action_with_its_actor(api: Api) -> None:
    keys = _reps(api, "hist", "hal", "hope", manager="hedy")
    sam = _reps(api, "keys", "sam")["sam"]
    lead = _lead(api, "hist", "h", 0.8)
    with api.sessions() as session:
        holder = session.scalars(select(Assignment).where(Assignment.lead_id == lead)).one().rep_id
        first = next(
            p
            for p in ("hal", "hope")
            if find_rep_by_email(session, email=f"{p}@hist.test").id == holder
        )
    second = "hope" if first == "hal" else "hal"
    history_url = f"/v1/leads/{lead}/routing"
    _ok(_act(api, lead, "accept", keys[first]))
    handoff = {"to_rep_email": f"{second}@hist.test", "reason": "their account"}
    _ok(_act(api, lead, "reassign", keys[first], handoff))
    _ok(_get(api, history_url, keys[second]))  # the rep holding it now may read it
    _ok(_act(api, lead, "disposition", keys[second], {"outcome": "won"}))

    history = _ok(_get(api, history_url, _admin(api, "auditor")))
    assert history["status"] == "won"
    (decision,) = history["decisions"]
    assert (decision["action"], decision["rules_version"]) == ("assign", RULES.version)
    assert any("score 80% ≥ 30% for hist" in r for r in decision["reasons"])
    by_first, by_second = f"{first}@hist.test (key {first})", f"{second}@hist.test (key {second})"
    assert [(e["action"], e["actor"]) for e in history["entries"]] == [
        ("route.assign", "router"),
        ("route.assigned", "router"),
        ("assignment.accepted", by_first),
        ("assignment.reassigned", by_first),
        ("route.reassigned", by_first),
        ("disposition.won", by_second),
    ]
    assert history["entries"][3]["why"] == ["their account"]
    assert [(a["state"], a["disposition"]) for a in history["assignments"]] == [
        ("reassigned", None),
        ("closed", "won"),
    ]
    # The team's manager may read it; its old rep, its last rep (it is closed) and others not.
    assert _ok(_get(api, history_url, keys["hedy"]))["lead_id"] == lead
    for reader in (keys[first], keys[second], sam):
        _error(_get(api, history_url, reader), 403, "not_your_lead")
    _error(_get(api, "/v1/leads/999999/routing", keys["hedy"]), 404, "lead_not_found")


def test_an_unlinked_key_is_told_how_to_link_one_and_an_admin_may_act_on_any_lead(api: Api) -> None:
    _reps(api, "keys", "kit")
    lead = _lead(api, "keys", "k", 0.99)
    with unit_of_work(api.sessions) as session:
        unlinked = bearer(create_key(session, name="floating", role="rep").secret)
        marketer = bearer(create_key(session, name="mkt", role="marketer").secret)
    admin = _admin(api, "root")
    for who in (unlinked, admin):
        for path in ("/v1/reps/me/leads", "/v1/reps/me/queue", "/v1/reps/me/team"):
            detail = _error(_get(api, path, who), 403, "forbidden")
            assert "does not speak for a rep" in detail
            assert "clinch keys create" in detail
        assert "--rep EMAIL" in _error(_available(api, who, available=True), 403, "forbidden")
    _error(_act(api, lead, "accept", unlinked), 403, "forbidden")
    _error(_get(api, "/v1/reps/me/leads", marketer), 403, "forbidden")
    _error(api.client.get("/v1/reps/me/leads"), 401, "missing_credentials")

    assert _ok(_act(api, lead, "accept", admin))["assignment"]["state"] == "accepted"
    history = _ok(_get(api, f"/v1/leads/{lead}/routing", admin))
    assert history["entries"][-1]["actor"] == "admin key root"
