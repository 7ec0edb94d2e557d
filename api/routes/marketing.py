"""The marketer's pages: the sequences list and a sequence's page, one static page and its script.

The page asks for an API key (a marketer's or an admin's), keeps it in the tab's session storage
and calls the marketer's API with it, as the rep inbox does.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

router = APIRouter(tags=["marketing"], include_in_schema=False)
_STATIC = Path(__file__).resolve().parents[1] / "static"
# The page is small and changes with releases: revalidate rather than cache for long.
_HEADERS = {"Cache-Control": "no-cache"}


def _page() -> FileResponse:
    return FileResponse(_STATIC / "marketing.html", media_type="text/html", headers=_HEADERS)


@router.get("/marketing")
def marketing_page() -> FileResponse:
    """Serve the sequences list."""
    return _page()


@router.get("/marketing/sequences/{key}")
def sequence_page(key: str) -> FileResponse:
    """Serve a sequence's page (the script reads the key from the address)."""
    del key
    return _page()


@router.get("/marketing.js")
def marketing_script() -> FileResponse:
    """Serve the marketer's script."""
    return FileResponse(_STATIC / "marketing.js", media_type="text/javascript", headers=_HEADERS)


@router.get("/marketing.css")
def marketing_style() -> FileResponse:
    """Serve the marketer's style sheet."""
    return FileResponse(_STATIC / "marketing.css", media_type="text/css", headers=_HEADERS)
