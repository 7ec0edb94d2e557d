"""The rep inbox: one static page and its script, talking to the rep routes with the rep's key."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

router = APIRouter(tags=["inbox"])
_STATIC = Path(__file__).resolve().parents[1] / "static"
# The page is small and changes with releases: revalidate rather than cache for long.
_HEADERS = {"Cache-Control": "no-cache"}


@router.get("/inbox", include_in_schema=False)
def inbox_page() -> FileResponse:
    """Serve the rep inbox page."""
    return FileResponse(_STATIC / "inbox.html", media_type="text/html", headers=_HEADERS)


@router.get("/inbox.js", include_in_schema=False)
def inbox_script() -> FileResponse:
    """Serve the inbox script."""
    return FileResponse(_STATIC / "inbox.js", media_type="text/javascript", headers=_HEADERS)


@router.get("/inbox.css", include_in_schema=False)
def inbox_style() -> FileResponse:
    """Serve the inbox style sheet."""
    return FileResponse(_STATIC / "inbox.css", media_type="text/css", headers=_HEADERS)
