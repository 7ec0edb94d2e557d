"""`clinch keys`: API keys with roles."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.auth import ROLES, create_key, parse_role
from clinch.cli_output import print_json
from clinch.settings import get_settings
from clinch.wiring import configure_process, open_database
from leads import api_keys as repo
from leads.db import unit_of_work
from leads.errors import ClinchError

keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
console = Console()


@keys_app.command("create")
def create(
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}")],
    name: Annotated[str, typer.Option(help="Who or what uses the key")],
    rep: Annotated[
        str | None,
        typer.Option(help="The email of the rep this key speaks for (rep or admin keys)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create a key; its secret is printed once and stored only as a hash."""
    parse_role(role)  # refuse a bad role before touching the database
    settings = get_settings()
    configure_process(settings)
    engine, sessions = open_database(settings)
    try:
        with unit_of_work(sessions) as session:
            key = create_key(session, name=name, role=role, rep_email=rep)
    except ClinchError as exc:
        Console(stderr=True).print(f"[red]error:[/] {exc.message}")
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    if as_json:
        body = {"id": key.id, "name": key.name, "role": key.role, "key": key.secret}
        print_json(console, {**body, "rep_id": key.rep_id})
    else:
        console.print(
            f"key {key.id} for {key.name} ({key.role}); store it now, it is not shown again:"
        )
        console.print(key.secret, soft_wrap=True)


@keys_app.command("list")
def list_keys(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List keys (never their secrets)."""
    settings = get_settings()
    configure_process(settings)
    engine, sessions = open_database(settings)
    try:
        with unit_of_work(sessions) as session:
            rows = [
                {
                    "id": k.id,
                    "name": k.name,
                    "role": k.role,
                    "created_at": k.created_at,
                    "last_used_at": k.last_used_at,
                    "revoked": k.revoked_at is not None,
                }
                for k in repo.list_keys(session)
            ]
    finally:
        engine.dispose()
    if as_json:
        print_json(console, rows)
        return
    table = Table("id", "name", "role", "created", "last used", "revoked")
    for r in rows:
        table.add_row(
            *(str(r[c]) for c in ("id", "name", "role", "created_at", "last_used_at", "revoked"))
        )
    console.print(table)


@keys_app.command("revoke")
def revoke(
    key_id: Annotated[int, typer.Argument(help="The key's id from `clinch keys list`")],
) -> None:
    """Revoke a key; requests with it are refused from now on."""
    settings = get_settings()
    configure_process(settings)
    engine, sessions = open_database(settings)
    try:
        with unit_of_work(sessions) as session:
            key = repo.get_key(session, key_id)
            if key is None:
                Console(stderr=True).print(f"[red]error:[/] no key with id {key_id}")
                raise typer.Exit(1)
            repo.revoke(session, key)
    finally:
        engine.dispose()
    console.print(f"key {key_id} revoked")
