"""`clinch ask`: the chat assistant from a terminal, for scripts and evals."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.console import Console

from assistant.chat import chat_turn, start_chat
from clinch.assistant_wiring import build_agent_tools
from clinch.cli_output import print_json
from clinch.remote import RemoteClinch
from clinch.settings import get_settings
from clinch.wiring import open_clients
from leads.db import unit_of_work
from leads.errors import ClinchError
from leads.models import utcnow
from retrieval.errors import VectorStoreBusy

console = Console()
err = Console(stderr=True)


def _local(text: str, session_id: str | None) -> dict[str, Any]:
    settings = get_settings()
    clients = open_clients(settings)
    try:
        tools = build_agent_tools(settings, clients)
        with unit_of_work(clients.sessions) as session:
            sid = session_id or start_chat(session, at=utcnow())
            turn = chat_turn(session, session_id=sid, text=text, tools=tools, at=utcnow())
    finally:
        clients.close()
    answer = turn.answer
    return {
        "session_id": sid,
        "answer": answer.answer,
        "citations": [asdict(c) for c in answer.citations],
        "actions": [asdict(a) for a in answer.actions],
        "confidence": answer.confidence,
        "intent": answer.intent,
        "not_covered": answer.not_covered,
        "lead_id": turn.lead_id,
    }


def ask_command(
    question: Annotated[str, typer.Argument(help="What a prospect would type")],
    session: Annotated[
        str | None, typer.Option("--session", help="Continue this chat session")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Ask the assistant as a prospect would; --session continues a conversation."""
    try:
        try:
            result = _local(question, session)
        except VectorStoreBusy:
            result = RemoteClinch(get_settings()).ask(question, session_id=session)
    except ClinchError as exc:
        err.print(f"[red]error:[/] {exc.message}", soft_wrap=True)
        raise typer.Exit(1) from None
    if as_json:
        print_json(console, result)
        return
    console.print(result["answer"], soft_wrap=True)
    for c in result["citations"]:
        console.print(f"  [{c['n']}] {c['title']} — {c['url'] or c['source']}", soft_wrap=True)
    for a in result["actions"]:
        console.print(f"  → {a['label']}")
    console.print(f"session {result['session_id']} · confidence {result['confidence']}")
