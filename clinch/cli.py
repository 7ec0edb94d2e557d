"""The `clinch` command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from clinch.cli_ask import ask_command
from clinch.cli_eval import eval_app
from clinch.cli_keys import keys_app
from clinch.cli_leads import leads_app
from clinch.cli_models import models_app, score_command, train_command
from clinch.cli_nurture import nurture_app
from clinch.cli_nurture_report import templates_app as _nurture_report  # noqa: F401  (registers)
from clinch.cli_nurture_run import sends_app as _nurture_run  # noqa: F401  (registers)
from clinch.cli_output import print_hits, print_ingest_summary, print_json
from clinch.cli_reps import reps_app
from clinch.cli_routing import routing_app
from clinch.cli_simulate import simulate_app
from clinch.cli_webhooks import notifications_app, webhooks_app
from clinch.remote import RemoteClinch
from clinch.settings import get_settings
from clinch.tasks import ingest_options, run_ingest
from clinch.wiring import configure_process, open_clients
from ingestion.errors import SourceNotFound
from ingestion.sources import resolve_source
from ingestion.summary import FileOutcome, IngestSummary
from leads.errors import ClinchError
from leads.migrate import upgrade
from retrieval.errors import VectorStoreBusy
from retrieval.schemas import Audience, SearchMode, Visibility
from retrieval.search import search as run_search

app = typer.Typer(
    name="clinch",
    help="Clinch: AI sales assistant and lead scoring.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(keys_app, name="keys")
app.add_typer(simulate_app, name="simulate")
app.command("train")(train_command)
app.command("score")(score_command)
app.add_typer(models_app, name="models")
app.add_typer(leads_app, name="leads")
app.add_typer(reps_app, name="reps")
app.add_typer(routing_app, name="routing")
app.add_typer(nurture_app, name="nurture")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(notifications_app, name="notifications")
app.command("ask")(ask_command)
app.add_typer(eval_app, name="eval")
console = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print an error a person can act on and return the exit to raise."""
    err.print(f"[red]error:[/] {message}")
    return typer.Exit(code)


class _Bar:
    def __init__(self, progress: Progress) -> None:
        self.progress, self.task = progress, progress.add_task("ingesting", total=None)

    def started(self, total: int) -> None:
        self.progress.update(self.task, total=total)

    def file_done(self, outcome: FileOutcome) -> None:
        self.progress.update(self.task, advance=1, description=outcome.path[-40:])


def _progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=not enabled,
        transient=True,
    )


@app.command()
def ingest(
    path: Annotated[Path, typer.Argument(help="Folder or file to ingest")],
    visibility: Annotated[
        Visibility, typer.Option(help="public (prospects) or internal (reps)")
    ] = "public",
    base_url: Annotated[str | None, typer.Option(help="URL prefix for pages without `url`")] = None,
    force: Annotated[bool, typer.Option(help="Re-embed even unchanged files")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary")] = False,
) -> None:
    """Add, update and delete a folder's documents in the knowledge base."""
    settings = get_settings()
    try:
        path = resolve_source(str(path))
    except SourceNotFound as exc:
        raise fail(exc.message, 2) from exc
    try:
        clients = open_clients(settings)
    except VectorStoreBusy:
        summary = _ingest_remote(path, visibility, base_url, force, as_json)
    else:
        try:
            options = ingest_options(
                settings, visibility=visibility, base_url=base_url, force=force
            )
            with _progress(not as_json) as bar:
                summary = run_ingest(clients, path, options, listener=_Bar(bar))
        finally:
            clients.close()
    if as_json:
        print_json(console, summary.to_dict())
    else:
        print_ingest_summary(console, summary)
    if summary.nothing_ingested:
        raise typer.Exit(1)


def _ingest_remote(
    path: Path, visibility: Visibility, base_url: str | None, force: bool, as_json: bool
) -> IngestSummary:
    err.print("the vector store is held by a running Clinch: ingesting through its API")
    remote = RemoteClinch(get_settings())
    body: dict[str, object] = {
        "path": str(path.resolve()),
        "visibility": visibility,
        "base_url": base_url,
        "force": force,
    }
    with _progress(not as_json) as progress:
        bar = progress.add_task("ingesting (server)", total=None)
        return remote.ingest(
            body,
            on_progress=lambda done, total: progress.update(
                bar, completed=done, total=total or None
            ),
        )


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to search for")],
    audience: Annotated[
        Audience, typer.Option(help="prospect (public docs) or rep (all)")
    ] = "prospect",
    k: Annotated[int, typer.Option("-k", help="How many results", min=1, max=100)] = 5,
    mode: Annotated[SearchMode, typer.Option(help="hybrid, dense or sparse")] = "hybrid",
    per_source: Annotated[
        int, typer.Option(help="At most this many chunks of one page", min=1)
    ] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Search the knowledge base the way the assistant does."""
    settings = get_settings()
    try:
        clients = open_clients(settings)
    except VectorStoreBusy:
        body: dict[str, object] = {
            "query": query,
            "audience": audience,
            "k": k,
            "mode": mode,
            "per_source": per_source,
        }
        hits = RemoteClinch(settings).search(body)["hits"]
    else:
        try:
            chunks = run_search(
                query,
                embedder=clients.embedder,
                store=clients.store,
                audience=audience,
                k=k,
                mode=mode,
                per_source=per_source,
            )
        finally:
            clients.close()
        hits = [c.to_dict() for c in chunks]
    if as_json:
        print_json(console, {"query": query, "audience": audience, "hits": hits})
    else:
        print_hits(console, hits)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface (default CLINCH_API_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default CLINCH_API_PORT)")] = None,
) -> None:
    """Run the API alone (in embedded mode it also runs the vectors worker)."""
    import uvicorn

    from clinch.server import create_api

    settings = get_settings()
    configure_process(settings)
    uvicorn.run(
        create_api(settings),
        host=host or settings.api_host,
        port=port or settings.api_port,
        log_level="info",
    )


@app.command()
def worker(
    queues: Annotated[str, typer.Option(help="Comma-separated queues")] = "",
    concurrency: Annotated[int, typer.Option(min=1)] = 1,
) -> None:
    """Run a Celery worker (with a Qdrant server, it also takes vector work)."""
    from clinch.celery_app import DEFAULT_QUEUE, VECTORS_QUEUE, create_celery

    settings = get_settings()
    configure_process(settings)
    default = DEFAULT_QUEUE if not settings.qdrant_url else f"{DEFAULT_QUEUE},{VECTORS_QUEUE}"
    celery = create_celery(settings)
    celery.worker_main(
        [
            "worker",
            "--loglevel=INFO",
            f"--queues={queues or default}",
            f"--concurrency={concurrency}",
            "--without-gossip",
            "--without-mingle",
        ]
    )


@app.command()
def beat() -> None:
    """Run Celery beat: the one periodic scheduler."""
    from clinch.celery_app import create_celery

    settings = get_settings()
    configure_process(settings)
    create_celery(settings).start(["beat", "--loglevel=INFO"])


@app.command()
def up(
    duration: Annotated[float | None, typer.Option("--for", help="Stop after N seconds")] = None,
) -> None:
    """Start the API, a Celery worker and beat; Ctrl-C stops them all."""
    from clinch.processes import run_group

    settings = get_settings()
    configure_process(settings)
    upgrade(settings.sqlalchemy_url)
    console.print(
        f"Clinch on http://{settings.api_host}:{settings.api_port} (docs at /docs); "
        f"home {settings.resolved_home}; Ctrl-C stops it"
    )
    raise typer.Exit(run_group(serve_args=[], worker=True, duration_s=duration, console=console))


@app.command("db-upgrade")
def db_upgrade() -> None:
    """Migrate the store of record to the newest schema."""
    settings = get_settings()
    configure_process(settings)
    upgrade(settings.sqlalchemy_url)
    console.print("database is up to date")


@app.command()
def bench(
    name: Annotated[
        str,
        typer.Argument(
            help="retrieval, scoring, assistant, routing, nurture (one tick) or nurture-faults"
        ),
    ] = "retrieval",
    corpus: Annotated[Path | None, typer.Option(help="Corpus folder")] = None,
    big: Annotated[int, typer.Option(help="Points for the large-index run", min=1)] = 100_000,
    rows: Annotated[
        int, typer.Option(help="Scoring: simulated leads to train and batch-score", min=1000)
    ] = 1_000_000,
    events: Annotated[
        int, typer.Option(help="Scoring, routing: events timed until score / webhook", min=10)
    ] = 200,
    enrollments: Annotated[
        int, typer.Option(help="Nurture: due enrollments in the one tick", min=100)
    ] = 100_000,
    steps: Annotated[int, typer.Option(help="Nurture-faults: email steps to send", min=2)] = 10_000,
    kills: Annotated[int, typer.Option(help="Nurture-faults: workers to SIGKILL", min=0)] = 20,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Run a benchmark and print each figure as a ratio to a reference from the same run."""
    from clinch.bench import run_benchmark

    settings = get_settings()
    configure_process(settings)
    result = run_benchmark(
        name,
        settings=settings,
        corpus=corpus,
        big=big,
        rows=rows,
        events=events,
        console=err,
        enrollments=enrollments,
        steps=steps,
        kills=kills,
    )
    if as_json:
        print_json(console, result)


def main() -> None:
    """Run the CLI; domain errors become a message and exit code 1, not a traceback."""
    try:
        app()
    except ClinchError as exc:
        err.print(f"[red]error:[/] {exc.message}")
        sys.exit(1)
