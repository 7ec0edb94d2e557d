"""Errors of the handoffs: a rep taking a chat, a meeting booked from it."""

from __future__ import annotations

from leads.errors import ClinchError


class ChatHeldByAnotherRep(ClinchError):
    """Another rep holds this chat."""


class ChatNotTakenOver(ClinchError):
    """The chat is with the assistant: no rep (or not this rep) has taken it over."""


class RepUnavailable(ClinchError):
    """The rep is not active."""


class NotASlot(ClinchError):
    """The time asked for is not one of the rep's meeting slots."""
