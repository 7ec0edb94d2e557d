"""Templates: checked at load time in the sandbox, rendered per lead with its plan, pages, links."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy.orm import Session, sessionmaker

from checkout.links import read_checkout
from leads.db import unit_of_work
from leads.models import Lead
from nurture.errors import InvalidTemplate
from nurture.links import read_click, read_unsubscribe
from nurture.personalisation import plan_fields, render_for_lead, seats_of
from nurture.rendering import Fields, Missing, RenderFailed, TemplateParts
from nurture.template_file import parse_template_library
from nurture.templates import get_template, list_templates, save_template
from tests.nurture.factories_mail import (
    MONDAY,
    PUBLIC_URL,
    SECRET,
    add_templates,
    catalog,
    mail_config,
    make_lead,
)

BROKEN = """
templates:
  welcome:
    subject: "Welcome {{ lead.first_name | default('there') }}"
    text: "Hi {{ lead.first_name }}, {{ unsubscribe_url }}"
    html: "<p>\\n\\n{{ lead.name }</p>"
  offer:
    subject: "Offer"
    text: "{{ plna.name }} {{ unsubscribe_url }}"
  field-typo:
    subject: "{{ lead.nmae | default('x') }}"
    text: "{{ unsubscribe_url }}"
  bad-period:
    subject: "Buy"
    text: "{{ checkout_url('team', 'yearly') }} {{ checkout_url('pro') }} {{ unsubscribe_url }}"
  no-unsubscribe:
    subject: "Hi"
    text: "No way out"
  escape:
    subject: "{{ lead.__class__ }}"
    text: "{{ unsubscribe_url }}"
  first-page:
    subject: "About {{ pages[0].title }}"
    text: "{{ unsubscribe_url }}"
  no-text:
    subject: "Hi"
"""


def _problems(text: str) -> list[str]:
    with pytest.raises(InvalidTemplate) as caught:
        parse_template_library(text, source="t.yaml", catalog=catalog())
    assert str(caught.value).startswith("t.yaml: not loaded; ")
    return list(caught.value.problems)


def test_a_library_with_mistakes_names_every_one_and_where() -> None:
    problems = _problems(BROKEN)
    assert "templates.welcome.html: Jinja2 syntax error at line 3: unexpected '}'" in problems
    assert "templates.offer.text: unknown variable 'plna' (did you mean 'plan'?)" in problems
    assert (
        "templates.field-typo.subject: line 1: unknown variable 'lead.nmae' "
        "(did you mean 'lead.name'?)"
    ) in problems
    assert any(
        p.startswith("templates.welcome.text: line 1: lead.first_name is empty")
        and "default(" in p
        and p.endswith("(with a lead who gave only an email address)")
        for p in problems
    ), problems
    assert (
        "templates.bad-period.text: line 1: checkout_url(): period must be 'monthly' or "
        "'annual', not 'yearly'"
    ) in problems
    assert "templates.no-unsubscribe.text: no unsubscribe link: add {{ unsubscribe_url }}" in (
        problems
    )
    assert any(
        p.startswith("templates.escape.subject: line 1: not allowed in a template")
        for p in problems
    )
    assert any(
        p.startswith("templates.first-page.subject: line 1: pages has no item 0") for p in problems
    )
    assert "templates.no-text.text: missing" in problems
    assert len(problems) == 9


def test_an_unknown_plan_is_refused_against_the_catalog() -> None:
    problems = _problems(
        'templates: {pro: {subject: "x", text: "{{ checkout_url(\'pro\') }} '
        '{{ unsubscribe_url }}"}}'
    )
    assert problems == [
        'templates.pro.text: line 1: no plan with id "pro" '
        "(known plans: free, team, business, enterprise)"
    ]
    sales = _problems(
        'templates: {ent: {subject: "x", text: "{{ checkout_url(\'enterprise\') }} '
        '{{ unsubscribe_url }}"}}'
    )
    assert sales == [
        'templates.ent.text: line 1: the "enterprise" plan has no listed price: it is quoted by '
        "sales"
    ]


def test_a_file_that_is_not_a_library_says_what_is_expected() -> None:
    assert _problems("- just\n- a list") == [
        "expected `templates:` mapping names to {subject, text, html}"
    ]
    assert _problems("templates: {Bad Name: {subject: a, text: b}}") == [
        "templates.Bad Name: a name is lowercase letters, digits, '-' and '_'"
    ]
    assert _problems("templates: {x: {subject: a, text: '{{ unsubscribe_url }}', htm: c}}") == [
        "templates.x: unknown field 'htm' (fields: subject, text, html)"
    ]


def test_saving_changed_content_makes_a_new_version_and_same_content_none(
    sessions: sessionmaker[Session],
) -> None:
    first, second = (
        parse_template_library(
            f'templates: {{hi: {{subject: "{subject}", text: "{{{{ unsubscribe_url }}}}"}}}}'
        )[0]
        for subject in ("Hello", "Hello again")
    )
    with unit_of_work(sessions) as session:
        created = save_template(session, first, actor="test", at=MONDAY)
        same = save_template(session, first, actor="test", at=MONDAY)
        changed = save_template(session, second, actor="test", at=MONDAY)
        assert (created.version, created.changed) == (1, True)
        assert (same.version, same.changed) == (1, False)
        assert (changed.version, changed.changed) == (2, True)
        assert get_template(session, name="hi").subject == "Hello again"
        assert [t.name for t in list_templates(session)] == ["hi"]


def test_an_email_is_personalised_with_plan_pages_and_signed_links(
    sessions: sessionmaker[Session],
) -> None:
    config = mail_config()
    with unit_of_work(sessions) as session:
        add_templates(session)
        lead_id = make_lead(
            session,
            traits={"name": "Jane Doe", "company": "Acme <Labs>", "team_size": "51-200"},
            pages=[
                {"kind": "pricing_view", "path": "/pricing", "title": "Pricing"},
                {"kind": "docs_view", "path": "/docs/security/sso-saml"},
                {"kind": "docs_view", "path": "/docs/security/sso-saml"},
            ],
        )
        lead = session.get(Lead, lead_id)
        assert lead is not None
        template = get_template(session, name="welcome").parts()
        email = render_for_lead(
            session, template=template, lead=lead, config=config, catalog=catalog(), send_id=7
        )
    assert email.subject == "Welcome to Quillstack, Jane"
    # 51-200 people: more seats than Team's 50, so Business; pages newest first, once each.
    assert "The Acme <Labs> team fits our\nBusiness plan ($15 per seat a month)." in email.text
    assert "- you read Sso saml\n- you read Pricing\n" in email.text
    assert email.html is not None
    assert "Acme &lt;Labs&gt;" in email.html  # HTML is escaped, text is not
    links = [word for word in email.text.split() if word.startswith(PUBLIC_URL)]
    checkout, docs, unsubscribe = links
    click = read_click(SECRET, urlsplit(checkout).path.removeprefix("/n/c/"), max_age_s=60)
    assert click.send_id == 7
    offer = read_checkout(SECRET, urlsplit(click.url).path.removeprefix("/checkout/"), max_age_s=60)
    assert (offer.plan_id, offer.period, str(offer.unit_price), offer.lead_id) == (
        "business",
        "monthly",
        "15",
        lead_id,
    )
    assert read_click(SECRET, docs.rsplit("/", 1)[1], max_age_s=60).url == (
        "https://docs.quillstack.test/start"
    )
    assert read_unsubscribe(SECRET, unsubscribe.rsplit("/", 1)[1], max_age_s=60) == 7


def test_a_lead_who_gave_only_an_email_gets_the_fallbacks(
    sessions: sessionmaker[Session],
) -> None:
    with unit_of_work(sessions) as session:
        add_templates(session)
        lead_id = make_lead(session, traits={"name": "", "company": "", "team_size": ""})
        lead = session.get(Lead, lead_id)
        assert lead is not None
        lead.name = lead.company = lead.team_size = None
        template = get_template(session, name="welcome").parts()
        email = render_for_lead(
            session, template=template, lead=lead, config=mail_config(), catalog=catalog()
        )
    assert email.subject == "Welcome to Quillstack, there"
    assert "Your team fits our\nTeam plan ($8.50 per seat a month)." in email.text
    # A preview (no send): links lead straight to their target.
    assert "Docs: https://docs.quillstack.test/start" in email.text


def test_a_missing_value_at_send_time_is_a_clear_error_not_a_blank(
    sessions: sessionmaker[Session],
) -> None:
    template = TemplateParts(
        name="offer",
        subject="{{ plan.name }} for {{ lead.company }}",
        text="{{ unsubscribe_url }}",
        html=None,
    )
    with unit_of_work(sessions) as session:
        lead_id = make_lead(session)
        lead = session.get(Lead, lead_id)
        assert lead is not None
        with pytest.raises(RenderFailed) as no_catalog:
            render_for_lead(
                session, template=template, lead=lead, config=mail_config(), catalog=None
            )
        lead.company = None
        with pytest.raises(RenderFailed) as no_company:
            render_for_lead(
                session, template=template, lead=lead, config=mail_config(), catalog=catalog()
            )
    assert no_catalog.value.message.startswith(
        "template 'offer': subject: line 1: plan.name is empty (no pricing catalog is ingested)"
    )
    assert no_company.value.message.startswith(
        "template 'offer': subject: line 1: lead.company is empty for this lead; write "
        "{{ lead.company | default('…') }}"
    )


@pytest.mark.parametrize(
    ("team_size", "plan"),
    [
        ("1-10", "team"),
        ("11-50", "team"),
        ("51-200", "business"),
        ("1000+", "enterprise"),
        (None, "team"),
        ("25", "team"),
    ],
)
def test_the_recommended_plan_is_the_cheapest_paid_plan_with_enough_seats(
    team_size: str | None, plan: str
) -> None:
    fields = plan_fields(catalog(), team_size=team_size)
    assert isinstance(fields, Fields)
    assert fields["id"] == plan
    if plan == "enterprise":  # sold by sales: no price to print
        assert isinstance(fields["monthly_price"], Missing)


def test_team_sizes_read_as_seats() -> None:
    assert [seats_of(s) for s in ("11-50", "1000+", "1,200", "about 30", "", None)] == [
        50,
        1000,
        1200,
        30,
        None,
        None,
    ]
