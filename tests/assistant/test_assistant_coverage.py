"""A question that names something the docs never mention is not covered (demo company)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.agent import AgentTools, answer_turn
from assistant.coverage import unknown_words
from clinch.assistant_wiring import build_agent_tools
from clinch.wiring import open_clients
from retrieval.schemas import RetrievedChunk
from tests.api.conftest import isolated_settings, link_model_cache
from tests.demo_company import copy_demo


@pytest.fixture(scope="module")
def tools(tmp_path_factory: pytest.TempPathFactory, demo_template: Path) -> Iterator[AgentTools]:
    home = tmp_path_factory.mktemp("coverage-home")
    link_model_cache(home)
    settings = isolated_settings(home)
    copy_demo(demo_template, settings)
    clients = open_clients(settings)
    try:
        yield build_agent_tools(settings, clients)
    finally:
        clients.close()


def _passage(text: str) -> RetrievedChunk:
    return RetrievedChunk("c1", text, "Deploys", "deploys.md", None, (), "public", 1.0)


PASSAGES = [_passage("Preview environments are deleted automatically when the PR is merged.")]


def test_rare_words_absent_everywhere_are_unknown() -> None:
    asked: list[str] = []

    def nowhere(word: str) -> bool:
        asked.append(word)
        return False

    found = unknown_words(
        "Are you FedRAMP authorized? We use bitbucket.", PASSAGES, company="Acme", in_docs=nowhere
    )

    assert found == ["bitbucket", "fedramp"]
    assert asked == ["bitbucket", "fedramp"]  # everyday words ("authorized") are never looked up


def test_typos_shorthand_and_words_elsewhere_in_the_docs_are_not_unknown() -> None:
    def only_scim(word: str) -> bool:
        return word == "scim"

    question = "r previews cleaned up automaticaly for ppl? and SCIM? and Acmecorp?"

    assert unknown_words(question, PASSAGES, company="Acmecorp", in_docs=only_scim) == []


def test_the_agent_declines_a_question_about_an_unmentioned_standard(tools: AgentTools) -> None:
    declined = answer_turn("Is Quillstack FedRAMP authorized?", tools=tools)
    covered = answer_turn("Do you support SCIM provisioning?", tools=tools)

    assert declined.not_covered
    assert declined.unknown_words == ("fedramp",)
    assert declined.citations == ()
    assert not covered.not_covered
    assert covered.unknown_words == ()
    assert covered.citations
