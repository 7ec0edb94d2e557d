"""The chat widget script (one `<script>` tag on any page) and a demo page that embeds it."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

router = APIRouter(tags=["widget"])
_STATIC = Path(__file__).resolve().parents[1] / "static"
_DEMO_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Quillstack (demo site)</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font:16px sans-serif;max-width:720px;margin:40px auto">
<h1>Quillstack</h1><p>Docs and knowledge base for product and engineering teams.</p>
<p>This page stands in for a company's website: the chat button comes from one tag,
<code>&lt;script src="/widget.js" defer&gt;&lt;/script&gt;</code>.</p>
<script src="/widget.js" defer></script>
</body></html>"""


@router.get("/widget.js", include_in_schema=False)
def widget_script() -> FileResponse:
    """Serve the widget script."""
    return FileResponse(
        _STATIC / "widget.js",
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=300"},
    )


@router.get("/demo", response_class=HTMLResponse, include_in_schema=False)
def demo_page() -> HTMLResponse:
    """Serve a stand-in company page with the widget on it."""
    return HTMLResponse(_DEMO_PAGE)
