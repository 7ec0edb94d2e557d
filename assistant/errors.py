"""Errors of the assistant."""

from __future__ import annotations

from leads.errors import ClinchError


class MessageRefused(ClinchError):
    """A chat message the assistant will not take (empty or too long)."""
