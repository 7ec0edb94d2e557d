"""Links in nurture email: one-click unsubscribe, tracked clicks and opens (public, signed)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="", tags=["nurture-links"])
