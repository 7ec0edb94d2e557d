"""How CLI commands print: JSON for scripts, rich tables for people."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

from ingestion.summary import IngestSummary


def print_json(console: Console, data: object) -> None:
    """Print JSON on stdout without rich's wrapping."""
    console.file.write(json.dumps(data, indent=2, default=str) + "\n")


def print_ingest_summary(console: Console, summary: IngestSummary) -> None:
    """Print what an ingest did, and each failed file with its reason."""
    c = summary.counts
    console.print(
        f"[bold]{summary.root}[/] ({summary.visibility}): {c['added']} added, "
        f"{c['updated']} updated, {c['unchanged']} unchanged, {c['deleted']} deleted, "
        f"{c['failed']} failed; {summary.chunks_written} chunks written "
        f"in {summary.seconds:.1f}s"
    )
    for f in summary.files:
        if f.status == "failed":
            console.print(f"  [red]✗[/] {f.error}")


def print_hits(console: Console, hits: list[dict[str, object]]) -> None:
    """Print search hits as a table."""
    table = Table("#", "score", "source", "section", "text")
    for n, hit in enumerate(hits, 1):
        heading = hit.get("heading_path") or []
        section = " > ".join(str(h) for h in heading) if isinstance(heading, list) else ""
        text = str(hit.get("text", ""))
        table.add_row(
            str(n),
            f"{float(str(hit.get('score', 0))):.4f}",
            str(hit.get("source")),
            section,
            text[:160] + ("…" if len(text) > 160 else ""),
        )
    console.print(table)
