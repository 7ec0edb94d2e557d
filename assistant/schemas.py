"""Values the assistant's modules pass to each other and out of the package (frozen)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# What a prospect said they need, for "which plan fits" (the fit itself is checkout logic).
from checkout.plan_fit import Needs as Needs

Intent = Literal[
    "question",
    "pricing",
    "comparison",
    "buying_signal",
    "human",
    "small_talk",
    "off_topic",
    "abuse",
]
ActionKind = Literal["checkout", "book_meeting", "talk_to_person"]


@dataclass(frozen=True)
class Citation:
    """A numbered source of an answer: `[n]` in the text points here."""

    n: int
    title: str
    url: str | None
    source: str


@dataclass(frozen=True)
class Draft:
    """An answer's text and the citations its `[n]` markers point to, before any check."""

    text: str
    citations: tuple[Citation, ...] = ()


@dataclass(frozen=True)
class PricingAnswer:
    """A pricing answer built from the catalog: its text, the plans it names, the exact facts
    (prices, limits as written in the text) it states."""

    text: str
    plan_ids: tuple[str, ...]
    facts: tuple[str, ...]


@dataclass(frozen=True)
class ProfileFacts:
    """Lead fields a prospect volunteered in a message (None: not said)."""

    name: str | None = None
    email: str | None = None
    company: str | None = None
    role: str | None = None
    team_size: str | None = None
    timeline: str | None = None
    budget: str | None = None
    use_case: str | None = None

    def known(self) -> dict[str, str]:
        """Return the fields that are set."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class Grounding:
    """The result of checking an answer against its sources and the catalog."""

    ok: bool
    problems: tuple[str, ...] = field(default=())
