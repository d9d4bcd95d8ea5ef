"""LLM answers over a real loopback HTTP server (OpenAI-compatible and Ollama protocols).

The replies are crafted per request from the numbered passages in the prompt, so the tests know
which [n] holds which text; the checks must keep supported sentences and drop the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.api.reader.fake_llm_server import FakeLLMServer, Reply
from tests.conftest import open_samples_kb
from veille.errors import ConfigError
from veille.kb import KnowledgeBase
from veille.llm import make_llm
from veille.reader.answer import Answer
from veille.settings import LLMSettings

QUESTION = "Pourquoi le cache KV grossit-il avec le contexte ?"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as s:
        yield s


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory, server: FakeLLMServer) -> Iterator[KnowledgeBase]:
    with open_samples_kb(tmp_path_factory.mktemp("llm"), llm=server.settings()) as kb:
        yield kb


def passage_with(body: dict[str, Any], needle: str) -> int:
    """The number of the prompt passage containing `needle`."""
    prompt = body["messages"][-1]["content"]
    for m in re.finditer(r"^\[(\d+)\] ", prompt, re.M):
        end = prompt.find("\n\n[", m.end())
        if needle in prompt[m.end():end if end > 0 else None]:
            return int(m.group(1))
    raise AssertionError(f"{needle!r} not in any passage")


def crafted(make: Callable[[int], str]) -> Callable[[dict[str, Any]], Reply]:
    def reply(body: dict[str, Any]) -> Reply:
        text = make(passage_with(body, "linéairement"))
        return Reply(pieces=[text[i:i + 7] for i in range(0, len(text), 7)])
    return reply


GOOD = "La taille du cache croît linéairement avec la longueur du contexte [{n}]."


def test_supported_answer_is_kept_with_a_verbatim_quote(kb: KnowledgeBase, server: FakeLLMServer) -> None:
    server.reply = crafted(lambda n: "Voici ce que disent les notes. " + GOOD.format(n=n))
    a = kb.ask(QUESTION)
    assert a.mode == "llm" and a.found and not a.dropped
    assert a.answer == "Voici ce que disent les notes. La taille du cache croît linéairement avec la " \
                       "longueur du contexte [1]."
    (c,) = a.citations
    assert c.n == 1 and c.doc_id.startswith("note:cache-kv-memoire") and "linéairement" in c.quote
    stored = {p["chunk_id"]: p["text"] for p in kb.chunks(c.doc_id)}[c.chunk_id]
    assert stored[c.start:c.start + len(c.quote)] == c.quote
    prompt = server.requests[-1]["messages"]
    assert prompt[0]["role"] == "system" and "[2]" in prompt[0]["content"] and "French" in prompt[0]["content"]
    assert re.search(r"^\[1\] ", prompt[1]["content"], re.M) and QUESTION in prompt[1]["content"]


def test_dangling_and_unsupported_citations_are_removed(kb: KnowledgeBase, server: FakeLLMServer) -> None:
    server.reply = crafted(lambda n: GOOD.format(n=n) + f" Le cache occupe 900 gigaoctets par jeton [{n}]."
                           " Les GPU H100 coûtent 3 dollars [99]. Il faut aussi 12 disques.")
    a = kb.ask(QUESTION)
    assert a.mode == "llm" and [c.n for c in a.citations] == [1]
    assert "900" not in a.answer and "[99]" not in a.answer and "12 disques" not in a.answer
    assert len(a.dropped) == 3
    assert any("[99] points to no passage" in w for w in a.warnings)
    assert any("does not support" in w for w in a.warnings)


def test_reply_with_nothing_supported_falls_back_to_extractive(kb: KnowledgeBase, server: FakeLLMServer) -> None:
    server.reply = crafted(lambda n: f"Le cache KV pèse 42 téraoctets [{n}].")
    a = kb.ask(QUESTION)
    assert a.mode == "extractive" and a.found and a.citations
    assert any("no generated sentence is supported" in w for w in a.warnings)


def test_no_answer_reply_is_reported_honestly(kb: KnowledgeBase, server: FakeLLMServer) -> None:
    server.reply = lambda body: Reply(text="NO_ANSWER")
    a = kb.ask(QUESTION)
    assert a.mode == "llm" and not a.found and not a.citations and "rien trouvé" in a.answer


@pytest.mark.parametrize("reply, reason", [
    (Reply(status=500), "language model failed"),
    (Reply(raw=b"this is not json"), "empty or unreadable reply"),
    (Reply(text=""), "empty or unreadable reply"),
    (Reply(delay=3.0, text="late"), "language model failed"),
])
def test_server_errors_fall_back_to_extractive(kb: KnowledgeBase, server: FakeLLMServer, reply: Reply,
                                               reason: str) -> None:
    server.reply = lambda body: reply
    a = kb.ask(QUESTION)
    assert a.mode == "extractive" and a.found and a.citations
    assert any(reason in w and "extractive answer given instead" in w for w in a.warnings)


def test_server_down_falls_back(kb: KnowledgeBase) -> None:
    dead = KnowledgeBase(kb.settings.model_copy(update={"llm": LLMSettings(
        provider="openai-compatible", base_url="http://127.0.0.1:9/v1", model="m", timeout=1, retries=0)}),
        embedder=kb.services.embedder, store=kb.services.store)
    a = dead.ask(QUESTION)
    assert a.mode == "extractive" and any("language model failed" in w for w in a.warnings)


def test_streaming_yields_deltas_then_the_checked_answer(kb: KnowledgeBase, server: FakeLLMServer) -> None:
    server.reply = crafted(lambda n: GOOD.format(n=n))
    events = list(kb.ask_stream(QUESTION))
    deltas = [e for e in events if isinstance(e, str)]
    assert len(deltas) > 3 and "".join(deltas).startswith("La taille du cache")
    assert isinstance(events[-1], Answer) and events[-1].mode == "llm"
    assert server.requests[-1]["stream"] is True


def test_ollama_protocol(server: FakeLLMServer) -> None:
    llm = make_llm(LLMSettings(provider="ollama", base_url=server.root, model="fake", timeout=5))
    assert llm is not None
    server.reply = lambda body: Reply(pieces=["Bonjour", " [1]."])
    assert llm.complete("system", "user") == "Bonjour [1]."
    assert "".join(llm.stream("system", "user")) == "Bonjour [1]."
    assert server.requests[-1]["messages"][0] == {"role": "system", "content": "system"}


def test_llm_settings_are_checked() -> None:
    assert make_llm(LLMSettings()) is None
    with pytest.raises(ConfigError, match="MODEL"):
        make_llm(LLMSettings(provider="ollama"))
    with pytest.raises(ConfigError, match="BASE_URL"):
        make_llm(LLMSettings(provider="openai-compatible", model="m"))
