"""One assistant turn: understand, rewrite, answer from the catalog or the docs, check, offer.

The prospect audience is fixed here, in the query: no prompt can reach internal documents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel

from assistant.answers import (
    BOOK_MEETING,
    TALK_TO_PERSON,
    Action,
    Answer,
    AnsweredBy,
    fixed_reply,
    not_covered_text,
)
from assistant.capture import extract_profile, next_qualifying_question
from assistant.composer import candidates, compose
from assistant.coverage import MIN_TERM_COVERAGE, term_coverage, unknown_words
from assistant.grounding import check_answer
from assistant.intent import classify
from assistant.llm import llm_draft
from assistant.pricing import answer_pricing, catalog_facts, needs_from_text, recommend_plan
from assistant.rewrite import rewrite_followup
from assistant.schemas import Citation, Draft, Intent, PricingAnswer, ProfileFacts
from checkout.catalog import Catalog
from retrieval.embedder import Embedder
from retrieval.schemas import RetrievedChunk
from retrieval.search import search
from retrieval.store import VectorStore

# Below this best-sentence similarity the docs are taken not to cover the question (calibrated
# on the dev QA set with `clinch eval rag`; see docs/assistant.md).
MIN_CONFIDENCE = 0.45
PRICED_INTENTS: frozenset[Intent] = frozenset({"pricing", "comparison", "buying_signal"})
QUALIFY_AFTER: frozenset[Intent] = frozenset({"question", "pricing", "comparison"})


@dataclass(frozen=True)
class AgentTools:
    """What a turn needs: built once per process by the entry point."""

    embedder: Embedder
    store: VectorStore
    company: str
    catalog: Catalog | None = None
    catalog_source: str = "pricing"
    catalog_url: str | None = None
    chat_model: BaseChatModel | None = None
    min_confidence: float = MIN_CONFIDENCE
    k: int = 5


def answer_turn(
    message: str,
    *,
    history: Sequence[str] = (),
    known: Mapping[str, str] | None = None,
    tools: AgentTools,
) -> Answer:
    """Answer one prospect message given their earlier messages and what we know of them."""
    text = message.strip()
    intent = classify(text)
    captured = extract_profile(text)
    fixed = fixed_reply(intent, tools.company)
    if fixed is not None:
        offers = (TALK_TO_PERSON,) if intent in ("human", "abuse") else ()
        return Answer(fixed, (), offers, 1.0, intent, text, "fixed", captured)
    query = rewrite_followup(text, history, product_names=(tools.company,))
    profile = {**(known or {}), **captured.known()}
    if tools.catalog is not None and intent in PRICED_INTENTS:
        priced = answer_pricing(tools.catalog, query) or recommend_plan(
            tools.catalog, needs_from_text(query)
        )
        if priced is not None:
            return _catalog_answer(priced, intent, query, captured, profile, tools)
    return _docs_answer(intent, query, captured, profile, tools)


def _catalog_answer(
    priced: PricingAnswer,
    intent: Intent,
    query: str,
    captured: ProfileFacts,
    profile: Mapping[str, str],
    tools: AgentTools,
) -> Answer:
    assert tools.catalog is not None
    citation = Citation(
        n=1, title=f"{tools.company} pricing", url=tools.catalog_url, source=tools.catalog_source
    )
    text = _with_question(f"{priced.text} [1]", intent, profile)
    actions = tuple(_checkout(plan, tools.catalog) for plan in priced.plan_ids[:1])
    actions += (BOOK_MEETING,) if intent == "buying_signal" else ()
    return Answer(text, (citation,), actions, 1.0, intent, query, "catalog", captured)


def _checkout(plan_id: str, catalog: Catalog) -> Action:
    plan = catalog.plan(plan_id)
    if plan.contact_sales or plan.price is None:
        return Action("talk_to_person", f"Talk to sales about {plan.name}", plan=plan.id)
    return Action("checkout", f"Start {plan.name}", plan=plan.id, period="monthly")


def _docs_answer(
    intent: Intent,
    query: str,
    captured: ProfileFacts,
    profile: Mapping[str, str],
    tools: AgentTools,
) -> Answer:
    chunks = search(
        query, embedder=tools.embedder, store=tools.store, audience="prospect", k=tools.k
    )
    ranked = candidates(query, chunks, embedder=tools.embedder)
    # How close the best sentences come to the question, by meaning alone (the word-overlap
    # bonus helps ranking, but a shared product name must not make a question look covered).
    similarity = max((c.similarity for c in ranked[:3]), default=0.0)
    coverage = term_coverage(query, chunks, company=tools.company)
    unknown = unknown_words(
        query, chunks, company=tools.company, in_docs=lambda word: _in_docs(word, tools)
    )
    confidence = 0.0 if unknown else round(similarity * min(1.0, coverage / MIN_TERM_COVERAGE), 4)
    if similarity < tools.min_confidence or coverage < MIN_TERM_COVERAGE or unknown:
        text = not_covered_text(tools.company)
        return Answer(
            text,
            (),
            (TALK_TO_PERSON,),
            confidence,
            intent,
            query,
            "fixed",
            captured,
            not_covered=True,
            similarity=round(similarity, 4),
            coverage=round(coverage, 4),
            unknown_words=tuple(unknown),
            retrieved_sources=tuple(c.source for c in chunks),
            contexts=tuple(c.text for c in chunks),
        )
    facts = sorted(catalog_facts(tools.catalog)) if tools.catalog else []
    draft: Draft | None = None
    answered_by: AnsweredBy = "extractive"
    if tools.chat_model is not None:
        candidate = llm_draft(tools.chat_model, query, chunks, facts=facts, company=tools.company)
        if candidate.text and _grounded(candidate, chunks, facts):
            draft, answered_by = candidate, "llm"
    if draft is None:
        draft = compose(query, chunks, embedder=tools.embedder, ranked=ranked)
    actions = (BOOK_MEETING,) if intent == "buying_signal" else ()
    text = _with_question(draft.text, intent, profile)
    return Answer(
        text,
        draft.citations,
        actions,
        confidence,
        intent,
        query,
        answered_by,
        captured,
        similarity=round(similarity, 4),
        coverage=round(coverage, 4),
        retrieved_sources=tuple(c.source for c in chunks),
        contexts=tuple(c.text for c in chunks),
    )


def _in_docs(word: str, tools: AgentTools) -> bool:
    """Return whether any page the prospect may see has the word (one sparse term lookup)."""
    hits = search(
        word, embedder=tools.embedder, store=tools.store, audience="prospect", k=1, mode="sparse"
    )
    return bool(hits)


def _grounded(draft: Draft, chunks: Sequence[RetrievedChunk], facts: Sequence[str]) -> bool:
    if not draft.citations:
        return False  # a docs answer names its sources; one that cites none is not used
    sources = {i: chunk.text for i, chunk in enumerate(chunks, 1)}
    allowed = frozenset(facts)
    return check_answer(draft.text, citations=draft.citations, sources=sources, allowed=allowed).ok


def _with_question(text: str, intent: Intent, profile: Mapping[str, str]) -> str:
    if intent not in QUALIFY_AFTER:
        return text
    question = next_qualifying_question(profile)
    return f"{text}\n\n{question}" if question else text
