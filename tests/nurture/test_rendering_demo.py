"""The demo's template library loads against the demo catalog and renders for every kind of lead;
every template the demo's sequences name is in it; the delivery tasks are registered."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy.orm import Session, sessionmaker

from clinch.celery_app import create_celery
from clinch.nurture_tasks import RETRY_SENDS_TASK, SEND_TASK
from clinch.settings import Settings
from leads.db import unit_of_work
from leads.models import Lead
from nurture.personalisation import render_for_lead
from nurture.template_file import parse_template_library
from tests.nurture.factories_mail import DEMO, catalog, mail_config, make_lead

LIBRARY = DEMO / "nurture" / "templates.yaml"
needs_library = pytest.mark.skipif(not LIBRARY.is_file(), reason="demo/nurture/templates.yaml")


@needs_library
def test_the_demo_library_has_every_template_its_sequences_name() -> None:
    library = parse_template_library(LIBRARY.read_text(), source=str(LIBRARY), catalog=catalog())
    names = {t.name for t in library}
    for path in sorted(LIBRARY.parent.glob("*.yaml")):
        if path == LIBRARY:
            continue
        steps = yaml.safe_load(path.read_text())["steps"]
        named = {step["email"] for step in steps if "email" in step}
        assert named <= names, f"{path.name} names {sorted(named - names)}"


@needs_library
@pytest.mark.parametrize(
    ("traits", "pages"),
    [
        ({"name": "Ana Li", "company": "Brightwave", "team_size": "11-50"}, True),
        ({"name": "Bo Big", "company": "Mega", "team_size": "1000+"}, False),
        ({"name": "", "company": "", "team_size": ""}, False),
    ],
)
def test_every_demo_template_renders_for_every_kind_of_lead(
    sessions: sessionmaker[Session], traits: dict[str, str], pages: bool
) -> None:
    library = parse_template_library(LIBRARY.read_text(), catalog=catalog())
    read = [{"kind": "pricing_view", "path": "/pricing", "title": "Pricing"}] if pages else []
    with unit_of_work(sessions) as session:
        lead = session.get(Lead, make_lead(session, traits=traits, pages=read))
        assert lead is not None
        for template in library:
            email = render_for_lead(
                session,
                template=template.parts(),
                lead=lead,
                config=mail_config(),
                catalog=catalog(),
                send_id=1,
            )
            assert email.subject
            assert "/n/u/" in email.text
            assert email.html is None or "/n/u/" in email.html


def test_the_worker_registers_the_delivery_tasks(home: Path) -> None:
    app = create_celery(Settings(home=home))
    assert {SEND_TASK, RETRY_SENDS_TASK} <= set(app.tasks)
