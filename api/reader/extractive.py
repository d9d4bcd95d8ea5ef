"""The extractive answer: the sentences that best answer, each cited, or a plain 'nothing found'."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from veille.errors import QueryError
from veille.ingest.language import detect_language
from veille.languages import ANSWER_LANGS, language_name, languages, text_for
from veille.reader.answer import Answer, Citation
from veille.reader.evidence import Evidence
from veille.reader.quotes import citation, continued
from veille.reader.scoring import mmr, names_absent

_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


@cache
def _readable() -> re.Pattern[str]:
    """The letters of the languages Veille reads (each language file's [language] letters)."""
    return re.compile("[" + "".join(lang.data["language"].get("letters", "") for lang in languages()) + "]")


def check_question(question: str) -> str:
    """The stripped question; QueryError when it is empty or written in a script Veille cannot answer in."""
    text = (question or "").strip()
    if not text:
        raise QueryError("empty question", source="question")
    letters = _LETTER.findall(text)
    if letters and len(_readable().findall(text)) / len(letters) < 0.5:
        names = [language_name(code) for code in sorted(ANSWER_LANGS)]
        raise QueryError(f"unsupported script: Veille answers questions in {', '.join(names[:-1])} or {names[-1]}",
                         source=text[:60])
    return text


def answer_language(question: str, lang: str | None) -> str:
    """The requested language, else the question's own (English when it cannot be told)."""
    if lang:
        if lang not in ANSWER_LANGS:
            raise QueryError(f"unsupported answer language {lang!r}; use one of {sorted(ANSWER_LANGS)}",
                             source="lang")
        return lang
    detected = detect_language(question, min_letters=8)
    return detected if detected in ANSWER_LANGS else "en"


def select(ev: Evidence, max_sentences: int) -> list[int]:
    """Indices of the sentences that best answer, relevant and not redundant, best first; none when the
    question names something (a model, a dataset) that none of their documents' retrieved passages
    mentions: the archive may name it elsewhere, but these documents speak of something else."""
    cfg = ev.cfg
    picked = [i for i in mmr(ev.ranking, ev.vecs, max_sentences, lam=cfg.mmr_lambda, margin=cfg.mmr_margin)
              if ev.scores[i] >= ev.floor + cfg.sentence_margin]
    cited = {ev.cands[i].hit.doc_id for i in picked}
    passages = [p for doc in cited for p in ev.documents.get(doc, ())] or [ev.cands[i].passage for i in picked]
    return [] if names_absent(ev.question, passages, heads_only=True) else picked


def cite(ev: Evidence, picked: list[int]) -> list[Citation]:
    """Citations numbered 1.. in the order given."""
    wants, apart = ev.question.quantitative, frozenset((ev.cands[i].hit.chunk_id, ev.cands[i].start) for i in picked)
    return [citation(n, continued(ev.cands[i], wants, apart), ev.scores[i]) for n, i in enumerate(picked, start=1)]


def nothing_found(question: str, lang: str, timings: dict[str, float]) -> Answer:
    """The plain 'no answer' reply."""
    return Answer(question=question, answer=text_for(lang, "no_answer"), lang=lang, mode="none", found=False,
                  timings=timings)


def extractive(question: str, lang: str, ev: Evidence, max_sentences: int = 3) -> Answer:
    """The best sentences, best first, each followed by its [n]; or a plain 'nothing found'."""
    picked = select(ev, max_sentences) if ev.relevant else []
    if not picked:
        return nothing_found(question, lang, ev.timings)
    cites = cite(ev, picked)
    text = " ".join(f"{c.quote.strip()} [{c.n}]" for c in cites)
    return Answer(question=question, answer=text, lang=lang, mode="extractive", found=True, citations=cites,
                  timings=ev.timings)


def stream_text(answer: Answer, chunk: int = 24) -> Iterator[str]:
    """An already built answer as text pieces (the extractive path streams like the LLM one)."""
    for i in range(0, len(answer.answer), chunk):
        yield answer.answer[i:i + chunk]
