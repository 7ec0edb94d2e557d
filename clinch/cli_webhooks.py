"""`clinch webhooks` (where notices are posted) and `clinch notifications` (the outbox)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from clinch.cli_output import print_json
from clinch.settings import get_settings
from clinch.wiring import configure_process, open_database
from leads import webhooks as repo
from leads.db import unit_of_work
from leads.errors import ClinchError
from leads.models import Rep, WebhookEndpoint
from leads.reps import find_rep_by_email
from routing.delivery import list_notices, retry_dead
from routing.webhooks import check_url, new_secret

webhooks_app = typer.Typer(help="Where lead notices are posted (signed).", no_args_is_help=True)
notifications_app = typer.Typer(help="Notices sent, waiting and dead.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)
Status = Literal["pending", "delivered", "dead"]
T = TypeVar("T")


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/] {message}", soft_wrap=True)
    return typer.Exit(code)


def _in_unit_of_work(work: Callable[[Session], T]) -> T:
    """Run work in one committed unit of work; a domain error becomes exit 1, writing nothing."""
    settings = get_settings()
    configure_process(settings)
    engine, sessions = open_database(settings)
    try:
        with unit_of_work(sessions) as session:
            return work(session)
    except ClinchError as exc:
        raise _fail(exc.message) from None
    finally:
        engine.dispose()


def _owner(session: Session, *, rep: str | None, team: str | None) -> tuple[int | None, str | None]:
    if rep is not None:
        return find_rep_by_email(session, email=rep).id, None
    teams = repo.team_names(session)
    if team not in teams:
        known = ", ".join(teams) or "none: load reps with `clinch reps load FILE`"
        raise ClinchError(f"no rep is in team {team!r}; teams: {known}")
    return None, team


def _row(session: Session, endpoint: WebhookEndpoint) -> dict[str, Any]:
    rep = session.get(Rep, endpoint.rep_id) if endpoint.rep_id else None
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "rep": rep.email if rep else None,
        "team": endpoint.team,
        "active": endpoint.active,
        "created_at": endpoint.created_at,
    }


@webhooks_app.command("add")
def add_command(
    url: Annotated[str, typer.Argument(help="An http(s) URL that accepts JSON posts")],
    rep: Annotated[
        str | None, typer.Option(help="The email of the rep whose leads it gets")
    ] = None,
    team: Annotated[str | None, typer.Option(help="The team whose leads it gets")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Post a rep's or a team's lead notices to a URL; its signing secret is shown only now."""
    if (rep is None) == (team is None):
        raise _fail("give exactly one of --rep EMAIL or --team NAME", 2)
    try:
        url = check_url(url)
    except ClinchError as exc:
        raise _fail(exc.message, 2) from None
    secret = new_secret()

    def add(session: Session) -> dict[str, Any]:
        rep_id, owner_team = _owner(session, rep=rep, team=team)
        endpoint = repo.add_endpoint(
            session, url=url, secret=secret, now=datetime.now(UTC), rep_id=rep_id, team=owner_team
        )
        return _row(session, endpoint)

    row = _in_unit_of_work(add)
    if as_json:
        print_json(console, {**row, "secret": secret})
        return
    owner = f"rep {row['rep']}" if row["rep"] else f"team {row['team']}"
    console.print(f"webhook {row['id']} posts the lead notices of {owner} to {url}", soft_wrap=True)
    console.print("its signing secret (store it now, it is not shown again):")
    console.print(secret, soft_wrap=True)


@webhooks_app.command("list")
def list_command(
    show_all: Annotated[bool, typer.Option("--all", help="Include removed ones")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List webhooks (never their secrets)."""
    rows = _in_unit_of_work(
        lambda s: [_row(s, e) for e in repo.list_endpoints(s, include_inactive=show_all)]
    )
    if as_json:
        print_json(console, rows)
        return
    table = Table("id", "for", "url", "active", "created")
    for r in rows:
        owner = r["rep"] or f"team {r['team']}"
        active = "yes" if r["active"] else "no"
        table.add_row(str(r["id"]), owner, r["url"], active, f"{r['created_at']:%Y-%m-%d %H:%M}")
    console.print(table)


@webhooks_app.command("remove")
def remove_command(webhook_id: Annotated[int, typer.Argument(help="The webhook's id")]) -> None:
    """Stop posting to a webhook (notices still waiting for it go to the dead letters)."""
    changed = _in_unit_of_work(lambda s: repo.deactivate_endpoint(s, endpoint_id=webhook_id))
    console.print(f"webhook {webhook_id} {'removed' if changed else 'was already removed'}")


@notifications_app.command("list")
def notifications_list(
    status: Annotated[Status | None, typer.Option(help="Only this status")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List notices, the newest first, with their attempts and last error."""
    rows = _in_unit_of_work(lambda s: list_notices(s, status=status, limit=limit))
    if as_json:
        print_json(console, [asdict(r) for r in rows])
        return
    table = Table("id", "event", "to", "status", "tries", "next / done", "last error")
    for n in rows:
        when = n.delivered_at if n.status == "delivered" else n.next_attempt_at
        shown = f"{when:%Y-%m-%d %H:%M:%S}" if when and n.status != "dead" else ""
        table.add_row(
            str(n.id), n.event, n.target, n.status, str(n.attempts), shown, n.last_error or ""
        )
    console.print(table)


@notifications_app.command("retry")
def notifications_retry(
    notification_id: Annotated[int, typer.Argument(help="A dead notification's id")],
) -> None:
    """Send a dead notice again, with a fresh round of retries."""
    _in_unit_of_work(
        lambda s: retry_dead(s, notification_id=notification_id, now=datetime.now(UTC), actor="cli")
    )
    console.print(
        f"notification {notification_id} is pending again: "
        "a running worker sends it within seconds (`clinch up` or `clinch worker` and `beat`)"
    )
