"""Fixed replies for turns that need no retrieval, and the values an answer is made of."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from assistant.schemas import ActionKind, Citation, Intent, ProfileFacts

AnsweredBy = Literal["extractive", "llm", "catalog", "fixed"]


@dataclass(frozen=True)
class Action:
    """A next step offered to the prospect: checkout for a plan, a meeting, or a person."""

    kind: ActionKind
    label: str
    plan: str | None = None
    period: str | None = None


@dataclass(frozen=True)
class Answer:
    """One assistant turn: text, numbered citations, offered actions and how sure it is."""

    answer: str
    citations: tuple[Citation, ...]
    actions: tuple[Action, ...]
    confidence: float
    intent: Intent
    query: str
    answered_by: AnsweredBy
    captured: ProfileFacts = field(default_factory=ProfileFacts)
    not_covered: bool = False
    # For docs answers: the best sentences' similarity to the question and the share of its
    # terms in the passages, raw, so the confidence floor can be calibrated (`clinch eval`).
    similarity: float = 0.0
    coverage: float = 1.0
    # Rare words of the question that no page the prospect may see mentions ("SCIM").
    unknown_words: tuple[str, ...] = ()
    # For docs answers: the retrieved passages the answer was drawn from, in rank order (their
    # sources and texts), so evals can score retrieval and context use.
    retrieved_sources: tuple[str, ...] = ()
    contexts: tuple[str, ...] = ()


TALK_TO_PERSON = Action("talk_to_person", "Talk to a person")
BOOK_MEETING = Action("book_meeting", "Book a meeting with sales")


def not_covered_text(company: str) -> str:
    """Return the reply for a question the docs do not answer."""
    return (
        f"I couldn't find that in {company}'s documentation, so I won't guess. "
        "A person from our team can answer it: shall I connect you?"
    )


def fixed_reply(intent: Intent, company: str) -> str | None:
    """Return the reply for small talk, off-topic, abuse or a request for a person."""
    replies: dict[Intent, str] = {
        "small_talk": (
            f"Hi! I'm {company}'s assistant. Ask me anything about the product, its plans "
            "or pricing."
        ),
        "off_topic": (
            f"I can only help with questions about {company}: the product, its plans and pricing. "
            "What would you like to know?"
        ),
        "abuse": (
            "I'm here to help with questions about the product. If something went wrong, "
            "a person from our team can help."
        ),
        "human": "Of course. I'll connect you with a person from our team.",
    }
    return replies.get(intent)
