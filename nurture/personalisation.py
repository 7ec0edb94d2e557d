"""What a nurture template can say about a lead, and the links it can make.

The context of every template:
- `lead`: name, first_name, email, company, role, team_size (a field the lead never gave is
  empty: use `| default(...)` or `{% if %}`);
- `company`: the name of the company sending (the installation's);
- `plan`: the plan to recommend, from the pricing catalog and the lead's team size: id, name,
  summary, monthly_price, annual_price (formatted, e.g. "$8.50"), currency, unit;
- `pages`: the latest pages the lead read (docs, pricing, site), newest first: title, url, path,
  kind;
- `track(url)`: a tracked link to url (a click records an `email_clicked` event);
- `checkout_url(plan_id, period)`: a signed checkout link at the catalog's price, tracked;
- `unsubscribe_url`: the one-click unsubscribe link of this email.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Undefined
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from checkout.catalog import Catalog, format_money
from checkout.links import PERIODS, sign_checkout
from checkout.plan_fit import Needs, fitting_plan
from leads.errors import ClinchError
from leads.models import Event, Lead, as_utc
from nurture.config import NurtureConfig
from nurture.links import check_target, click_link, open_link, unsubscribe_link
from nurture.rendering import Fields, Items, Missing, RenderedEmail, TemplateParts, render_parts

CHECKOUT_PAGE_PATH = "/checkout/"
PAGE_EVENTS = ("docs_view", "pricing_view", "page_view")
PAGES_MAX = 5
# Events read to find the latest distinct pages (a lead re-reading one page counts once).
_PAGE_SCAN = 50
_SAMPLE_URL = "https://example.invalid"
_NUMBERS = re.compile(r"\d[\d,]*")


class HelperRefused(ClinchError):
    """A template called a helper with arguments it cannot use (an unknown plan, a bad URL)."""


@dataclass(frozen=True)
class MailLinks:
    """The link helpers of one send (or of a preview, when `send_id` is None: links go direct)."""

    config: NurtureConfig = field(repr=False)
    catalog: Catalog | None
    send_id: int | None
    lead_id: int | None

    def track(self, url: object) -> str:
        """Return a tracked link to url."""
        target = check_target(_given(url))
        if self.send_id is None:
            return target
        return click_link(self.config, send_id=self.send_id, url=target)

    def checkout_url(self, plan: object, period: object = "monthly") -> str:
        """Return a tracked, signed checkout link for a plan and billing period."""
        plan_id, chosen = _checkout_args(plan, period)
        if self.catalog is None:
            raise HelperRefused("checkout_url(): no pricing catalog is ingested")
        token = sign_checkout(
            self.config.signing_key,
            self.catalog,
            plan_id=plan_id,
            period=chosen,
            lead_id=self.lead_id,
        )
        return self.track(f"{self.config.public_url.rstrip('/')}{CHECKOUT_PAGE_PATH}{token}")

    def unsubscribe_url(self) -> str:
        """Return the send's unsubscribe link."""
        if self.send_id is None:
            return f"{self.config.public_url.rstrip('/')}/n/u/preview"
        return unsubscribe_link(self.config, send_id=self.send_id)

    def open_url(self) -> str | None:
        """Return the send's open-tracking image URL (None in a preview)."""
        if self.send_id is None:
            return None
        return open_link(self.config, send_id=self.send_id)


@dataclass(frozen=True)
class SampleLinks:
    """The helpers a template is checked with: the same argument checks, sample URLs."""

    catalog: Catalog | None = None

    def track(self, url: object) -> str:
        """Check a link as `MailLinks.track` does."""
        check_target(_given(url))
        return f"{_SAMPLE_URL}/n/c/sample"

    def checkout_url(self, plan: object, period: object = "monthly") -> str:
        """Check a plan and period (against the catalog when one is given)."""
        plan_id, chosen = _checkout_args(plan, period)
        if self.catalog is not None:
            self.catalog.price_of(plan_id, chosen)  # refuses an unknown or sales-only plan
        return f"{_SAMPLE_URL}{CHECKOUT_PAGE_PATH}sample"


def _given(value: object) -> object:
    if isinstance(value, Undefined):
        str(value)  # raises the value's own error ("page.url is empty …")
    return value


def _checkout_args(plan: object, period: object) -> tuple[str, Any]:
    plan, period = _given(plan), _given(period)
    if isinstance(plan, Fields):
        plan = plan.get("id")
    if not isinstance(plan, str) or not plan:
        raise HelperRefused(f"checkout_url(): expected a plan id such as 'team', got {plan!r}")
    if period not in PERIODS:
        raise HelperRefused(
            f"checkout_url(): period must be {' or '.join(map(repr, PERIODS))}, not {period!r}"
        )
    return plan, period


def first_name(name: str | None) -> str | None:
    """Return the first word of a name."""
    if not name or not name.strip():
        return None
    return name.split()[0]


def lead_fields(lead: Lead) -> Fields:
    """Return what templates may say about a lead."""
    return Fields(
        "lead",
        {
            "name": lead.name,
            "first_name": first_name(lead.name),
            "email": lead.email,
            "company": lead.company,
            "role": lead.role,
            "team_size": lead.team_size,
        },
    )


def seats_of(team_size: str | None) -> int | None:
    """Return the seats a team size stands for: the top of a band ("11-50" → 50), or the number."""
    if not team_size:
        return None
    numbers = [int(n.replace(",", "")) for n in _NUMBERS.findall(team_size)]
    return max(numbers) if numbers else None


def plan_fields(catalog: Catalog | None, *, team_size: str | None) -> Fields | Missing:
    """Return the plan to recommend for a team of this size (the cheapest paid plan that fits)."""
    if catalog is None:
        return Missing("plan", "no pricing catalog is ingested")
    plan = fitting_plan(catalog, Needs(seats=seats_of(team_size)), paid_only=True)
    if plan is None:
        return Missing("plan", "the pricing catalog has no plan to recommend")
    sales = "this plan is quoted by sales"
    price = plan.price
    return Fields(
        "plan",
        {
            "id": plan.id,
            "name": plan.name,
            "summary": plan.summary,
            "monthly_price": (
                format_money(price.monthly, catalog.currency)
                if price
                else Missing("plan.monthly_price", sales)
            ),
            "annual_price": (
                format_money(price.annual, catalog.currency)
                if price
                else Missing("plan.annual_price", sales)
            ),
            "currency": catalog.currency,
            "unit": plan.unit,
        },
    )


def _title_of(path: str) -> str:
    last = path.rstrip("/").rsplit("/", 1)[-1] or "home"
    words = re.sub(r"[-_]+", " ", last.removesuffix(".html")).strip()
    return words[:1].upper() + words[1:]


def _page(event: Event) -> Fields | None:
    props = event.properties or {}
    url = props.get("url") if isinstance(props.get("url"), str) else None
    path = props.get("path") if isinstance(props.get("path"), str) else None
    if url and urlsplit(url).scheme not in ("http", "https"):
        url = None
    if path is None and url is not None:
        path = urlsplit(url).path or "/"
    if path is None:
        return None
    title = props.get("title") if isinstance(props.get("title"), str) else None
    return Fields(
        "page",
        {
            "title": (title or "").strip() or _title_of(path),
            "url": url or Missing("page.url", "the site sent only the page's path"),
            "path": path,
            "kind": event.type,
            "read_at": as_utc(event.occurred_at),
        },
    )


def pages_of_leads(
    session: Session, *, lead_ids: Iterable[int], limit: int = PAGES_MAX
) -> dict[int, Items]:
    """Return the latest distinct pages each lead read, newest first (one query for all)."""
    ids = set(lead_ids)
    newest = (
        func.row_number()
        .over(partition_by=Event.lead_id, order_by=(Event.occurred_at.desc(), Event.id.desc()))
        .label("n")
    )
    ranked = (
        select(Event.id, newest)
        .where(Event.lead_id.in_(ids), Event.type.in_(PAGE_EVENTS))
        .subquery()
    )
    query = (
        select(Event)
        .join(ranked, Event.id == ranked.c.id)
        .where(ranked.c.n <= _PAGE_SCAN)
        .order_by(Event.lead_id, ranked.c.n)
    )
    found: dict[int, dict[str, Fields]] = {lead_id: {} for lead_id in ids}
    for event in session.scalars(query):
        pages = found[event.lead_id]
        page = _page(event) if len(pages) < limit else None
        if page is not None and page["path"] not in pages:
            pages[page["path"]] = page
    return {lead_id: Items("pages", pages.values()) for lead_id, pages in found.items()}


def pages_read(session: Session, *, lead_id: int, limit: int = PAGES_MAX) -> Items:
    """Return the latest distinct pages a lead read, newest first."""
    return pages_of_leads(session, lead_ids=[lead_id], limit=limit)[lead_id]


def mail_context(
    session: Session,
    *,
    lead: Lead,
    config: NurtureConfig,
    catalog: Catalog | None,
    send_id: int | None,
    pages: Items | None = None,
) -> dict[str, Any]:
    """Return the context a template renders with for this lead (and send)."""
    links = MailLinks(config=config, catalog=catalog, send_id=send_id, lead_id=lead.id)
    return {
        "lead": lead_fields(lead),
        "company": config.company_name,
        "plan": plan_fields(catalog, team_size=lead.team_size),
        "pages": pages if pages is not None else pages_read(session, lead_id=lead.id),
        "track": links.track,
        "checkout_url": links.checkout_url,
        "unsubscribe_url": links.unsubscribe_url(),
    }


def sample_context(*, sparse: bool, catalog: Catalog | None = None) -> dict[str, Any]:
    """Return a context to check templates with: a full lead, or one who gave only an email."""
    full = {
        "name": "Jane Doe",
        "first_name": "Jane",
        "company": "Acme",
        "role": "Head of Engineering",
        "team_size": "11-50",
    }
    values = dict.fromkeys(full) if sparse else full
    links = SampleLinks(catalog=catalog)
    return {
        "lead": Fields("lead", {**values, "email": "jane@example.invalid"}),
        "company": "Example Inc.",
        "plan": _sample_plan(catalog),
        "pages": Items("pages", [] if sparse else _sample_pages()),
        "track": links.track,
        "checkout_url": links.checkout_url,
        "unsubscribe_url": f"{_SAMPLE_URL}/n/u/sample",
    }


def _sample_pages() -> list[Fields]:
    return [
        Fields(
            "page",
            {
                "title": "Pricing",
                "url": f"{_SAMPLE_URL}/pricing",
                "path": "/pricing",
                "kind": "pricing_view",
                "read_at": datetime(2026, 1, 5, 10, 0, tzinfo=UTC),
            },
        ),
        # Sites often send only a path: a template must cope with a page without a URL.
        Fields(
            "page",
            {
                "title": "Sso saml",
                "url": Missing("page.url", "the site sent only the page's path"),
                "path": "/docs/security/sso-saml",
                "kind": "docs_view",
                "read_at": datetime(2026, 1, 4, 9, 0, tzinfo=UTC),
            },
        ),
    ]


def _sample_plan(catalog: Catalog | None) -> Fields | Missing:
    if catalog is not None:
        return plan_fields(catalog, team_size="11-50")
    return Fields(
        "plan",
        {
            "id": "team",
            "name": "Team",
            "summary": "For growing teams",
            "monthly_price": "$8.50",
            "annual_price": "$85",
            "currency": "USD",
            "unit": "seat",
        },
    )


def render_for_lead(
    session: Session,
    *,
    template: TemplateParts,
    lead: Lead,
    config: NurtureConfig,
    catalog: Catalog | None,
    send_id: int | None = None,
    pages: Items | None = None,
) -> RenderedEmail:
    """Render a template for a lead (a send's links when send_id is given; else a preview)."""
    context = mail_context(
        session, lead=lead, config=config, catalog=catalog, send_id=send_id, pages=pages
    )
    return render_parts(template, context)
