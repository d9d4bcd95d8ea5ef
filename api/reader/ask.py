"""The `ask` flow: a question → evidence → an extractive answer, or an LLM reply checked against
its passages (falling back to the extractive answer when the model fails)."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator

from veille.errors import LLMError, QueryError
from veille.index.hits import Hit
from veille.llm import LLM
from veille.reader.answer import Answer
from veille.reader.evidence import Embed, Evidence
from veille.reader.extractive import answer_language, check_question, extractive, nothing_found, stream_text
from veille.reader.llm_answer import llm_stream

# Retrieval for one question: (question text, k) → scored evidence and the passages it came from.
Collect = Callable[[str, int], tuple[Evidence, list[Hit]]]


def ask_stream(question: str, *, k: int, lang: str | None, collect: Collect, llm: LLM | None,
               embed: Embed) -> Iterator[str | Answer]:
    """Yield the answer's text pieces as they are produced, and the checked Answer last.

    The Answer is authoritative: streamed pieces of a reply that then fails its checks are
    superseded by it."""
    text = check_question(question)
    answer_lang = answer_language(text, lang)
    if not 1 <= k <= 50:
        raise QueryError(f"k must be between 1 and 50 for an answer, got {k}", source="k")
    ev, hits = collect(text, k)
    if not ev.relevant:
        answer = nothing_found(text, answer_lang, ev.timings)
    elif llm is None:
        answer = extractive(text, answer_lang, ev)
    else:
        # pieces already streamed may belong to a reply that fails its checks: the Answer is authoritative
        yield (yield from _generated(text, answer_lang, hits[:k], llm, ev, embed))
        return
    yield from stream_text(answer)
    yield answer


def _generated(text: str, lang: str, hits: list[Hit], llm: LLM, ev: Evidence,
               embed: Embed) -> Generator[str | Answer, None, Answer]:
    """Stream the model's reply; on failure, the extractive answer with the reason as a warning."""
    try:
        for event in llm_stream(text, lang, hits, llm, embed, ev.cfg):
            if isinstance(event, Answer):
                event.timings = {**ev.timings, **event.timings}
                return event
            yield event
    except LLMError as exc:
        fallback = extractive(text, lang, ev)
        fallback.warnings.append(f"{exc}; extractive answer given instead")
        return fallback
    raise LLMError("the reply stream ended without an answer", source=llm.name)
