"""The marketer's API: sequences, versions, funnels, A/B results, previews and dry-runs."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1/nurture", tags=["nurture"])
