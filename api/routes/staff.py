"""The script the staff pages (the rep inbox, the marketer's pages) share: DOM helpers, the key."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

router = APIRouter(tags=["staff"], include_in_schema=False)
_STATIC = Path(__file__).resolve().parents[1] / "static"
# Changes with releases, like the pages that load it: revalidate rather than cache for long.
_HEADERS = {"Cache-Control": "no-cache"}


@router.get("/staff.js")
def staff_script() -> FileResponse:
    """Serve the script the inbox and marketing pages load before their own."""
    return FileResponse(_STATIC / "staff.js", media_type="text/javascript", headers=_HEADERS)
