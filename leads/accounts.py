"""Accounts: leads from one company's email domain belong to one account.

Free and personal mail domains (gmail.com, outlook.com, …) say nothing about a company, so a lead
with such an address stays without an account until it has a company address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leads.models import NAME_MAX, Account, Lead

FREE_MAIL_DOMAINS: Final = frozenset(
    {
        "aol.com",
        "fastmail.com",
        "gmail.com",
        "googlemail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "hey.com",
        "hotmail.com",
        "hotmail.co.uk",
        "icloud.com",
        "live.com",
        "mail.com",
        "mail.ru",
        "me.com",
        "msn.com",
        "naver.com",
        "outlook.com",
        "pm.me",
        "proton.me",
        "protonmail.com",
        "qq.com",
        "163.com",
        "126.com",
        "t-online.de",
        "tutanota.com",
        "web.de",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "yandex.com",
        "yandex.ru",
        "zoho.com",
    }
)
EMPLOYEES_BAND_MAX: Final = 20
# Example and test domains (RFC 2606) are companies for our purposes: the demo uses them.


@dataclass(frozen=True)
class AccountView:
    """An account as a rep sees it: its domain, name, size and how many leads it has."""

    id: int
    domain: str
    name: str | None
    employees_band: str | None
    owner_rep_id: int | None
    leads: int


def company_domain(email: str | None) -> str | None:
    """Return the company domain of an email address, or None for free mail and no address."""
    if not email or "@" not in email:
        return None
    domain = email.rsplit("@", 1)[1].strip().lower().rstrip(".")
    if not domain or "." not in domain or domain in FREE_MAIL_DOMAINS:
        return None
    return domain


def _account_for(session: Session, domain: str) -> Account:
    found = session.scalars(select(Account).where(Account.domain == domain)).first()
    if found is not None:
        return found
    # Two intakes may create the same account at once: the loser re-reads the winner's row.
    try:
        with session.begin_nested():
            account = Account(domain=domain)
            session.add(account)
        return account
    except IntegrityError:
        return session.scalars(select(Account).where(Account.domain == domain)).one()


def link_account(session: Session, lead: Lead) -> Account | None:
    """Link a lead to its company's account by email domain; fill what the account lacks."""
    domain = company_domain(lead.email)
    if domain is None:
        return None
    account = session.get(Account, lead.account_id) if lead.account_id else None
    if account is None or account.domain != domain:
        account = _account_for(session, domain)
        lead.account_id = account.id
    if account.name is None and lead.company:
        account.name = lead.company[:NAME_MAX]
    if account.employees_band is None and lead.team_size:
        account.employees_band = lead.team_size[:EMPLOYEES_BAND_MAX]
    return account


def get_account_view(session: Session, *, account_id: int) -> AccountView | None:
    """Return an account with its number of (unmerged) leads."""
    account = session.get(Account, account_id)
    if account is None:
        return None
    leads = session.scalar(
        select(func.count(Lead.id)).where(
            Lead.account_id == account_id, Lead.merged_into_id.is_(None)
        )
    )
    return AccountView(
        id=account.id,
        domain=account.domain,
        name=account.name,
        employees_band=account.employees_band,
        owner_rep_id=account.owner_rep_id,
        leads=int(leads or 0),
    )
