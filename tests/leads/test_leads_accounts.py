"""Accounts from email domains: company addresses group leads, free mail does not."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from leads.accounts import company_domain
from leads.models import Account, Lead
from leads.profiles import get_lead_view
from tests.leads.intake_factories import ingest, make_event


@pytest.mark.parametrize(
    ("email", "domain"),
    [
        ("ana@Acme.io", "acme.io"),
        ("bo@eng.acme.io.", "eng.acme.io"),
        ("cy@gmail.com", None),
        ("dee@Outlook.com", None),
        ("no-at-sign", None),
        ("x@localhost", None),
        (None, None),
    ],
)
def test_company_domain(email: str | None, domain: str | None) -> None:
    assert company_domain(email) == domain


def test_leads_of_one_company_share_an_account_with_its_firmographics(
    sessions: sessionmaker[Session],
) -> None:
    ingest(
        sessions,
        make_event("a1", "identify", email="ana@acme.io", properties={"company": "Acme"}),
        make_event("b1", "page_view", email="bo@ACME.io"),
        make_event("c1", "identify", email="cy@gmail.com", properties={"company": "Acme"}),
    )
    ingest(
        sessions,
        make_event("b2", "form_submit", email="bo@acme.io", properties={"team_size": "11-50"}),
    )
    with sessions() as session:
        leads = {lead.email: lead for lead in session.scalars(select(Lead))}
        (account,) = session.scalars(select(Account)).all()
        view = get_lead_view(session, lead_id=leads["bo@acme.io"].id)
    assert leads["ana@acme.io"].account_id == leads["bo@acme.io"].account_id == account.id
    assert leads["cy@gmail.com"].account_id is None  # free mail: no company to infer
    assert (account.domain, account.name, account.employees_band) == ("acme.io", "Acme", "11-50")
    assert view.account is not None
    assert (view.account.domain, view.account.leads) == ("acme.io", 2)


def test_an_anonymous_visitor_joins_the_account_when_they_give_their_email(
    sessions: sessionmaker[Session],
) -> None:
    ingest(sessions, make_event("v1", "page_view", anonymous_id="anon-9"))
    with sessions() as session:
        (visitor,) = session.scalars(select(Lead)).all()
        assert visitor.account_id is None
    ingest(sessions, make_event("v2", "identify", anonymous_id="anon-9", email="di@globex.com"))
    with sessions() as session:
        known = session.scalars(select(Lead).where(Lead.email == "di@globex.com")).one()
        account = session.get(Account, known.account_id)
    assert account is not None
    assert account.domain == "globex.com"
