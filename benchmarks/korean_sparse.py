"""Korean keyword side: kiwipiepy morphemes (Veille) against character bigrams, on korquad-ko.

    python -m benchmarks.korean_sparse [--max-queries 1500]

Both tokenizers feed the same BM25 weighting (veille.index.keywords.encode_terms / encode_query_terms) and
the same IDF as Qdrant's modifier, so only the tokens differ. Character bigrams are the usual
dictionary-free baseline for Korean (Lucene's CJK bigram analyzer): every pair of adjacent
syllables inside a word, Latin words kept whole. No embedding is involved: this runs in seconds.
"""

from __future__ import annotations

import argparse
import math
import re
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import ir_measures

from benchmarks.report import machine, write_section
from veille.evaluation import MEASURES, load_beir
from veille.index.keywords import encode_query_terms, encode_terms, fold, tokenize

ROOT = Path(__file__).resolve().parent.parent
KORQUAD = ROOT.parent / "shared" / "eval" / "korquad-ko"
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_HANGUL = re.compile(r"[\uac00-\ud7a3]")

Tokenizer = Callable[[str], list[str]]


def bigrams(text: str) -> list[str]:
    """Overlapping syllable pairs of each Korean word (a one-syllable word stays whole)."""
    out: list[str] = []
    for word in _WORD.findall(text):
        if _HANGUL.search(word):
            out.extend(word[i:i + 2] for i in range(max(1, len(word) - 1)))
        else:
            out.append(fold(word))  # accent folding only: NFKD would split Hangul into jamo
    return out


def morphemes(text: str) -> list[str]:
    """Veille's own Korean tokens."""
    return tokenize(text, "ko")


def both(text: str) -> list[str]:
    """Morphemes and bigrams side by side."""
    return morphemes(text) + bigrams(text)


def rank_all(docs: list[tuple[str, str]], queries: list[tuple[str, str]],
             tok: Tokenizer) -> dict[str, dict[str, float]]:
    """BM25 run {query id: {doc id: score}} over an inverted index (IDF as Qdrant computes it)."""
    postings: dict[int, list[tuple[str, float]]] = defaultdict(list)
    for doc_id, text in docs:
        for i, v in zip(*encode_terms(tok(text)), strict=True):
            postings[i].append((doc_id, v))
    n = len(docs)
    run: dict[str, dict[str, float]] = {}
    for qid, text in queries:
        scores: dict[str, float] = defaultdict(float)
        for i in encode_query_terms(set(tok(text)))[0]:
            plist = postings.get(i, [])
            idf = math.log((n - len(plist) + 0.5) / (len(plist) + 0.5) + 1)
            for doc_id, v in plist:
                scores[doc_id] += idf * v
        best = sorted(scores.items(), key=lambda s: -s[1])[:100]
        run[qid] = dict(best) or {"-": 0.0}
    return run


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--max-queries", type=int, default=1500)
    args = p.parse_args(argv)
    beir = load_beir(KORQUAD, max_queries=args.max_queries)
    docs = [(str(d["_id"]), f"{d.get('title') or ''}\n{d['text']}") for d in beir.docs]
    queries = [(str(q["_id"]), str(q["text"])) for q in beir.queries]
    rows = ["| tokens | nDCG@10 | R@10 | R@100 | MRR@10 | index + search |", "|---|---|---|---|---|---|"]
    for name, tok in (("kiwipiepy morphemes (Veille)", morphemes), ("character bigrams", bigrams),
                      ("morphemes + bigrams", both)):
        start = time.perf_counter()
        run = rank_all(docs, queries, tok)
        secs = time.perf_counter() - start
        s = ir_measures.calc_aggregate(list(MEASURES.values()), beir.qrels, run)
        rows.append(f"| {name} | " + " | ".join(f"{float(s[m]):.3f}" for m in MEASURES.values()) + f" | {secs:.0f} s |")
        print(rows[-1], flush=True)
    body = "\n".join([f"Command: `python -m benchmarks.korean_sparse` on {machine()}: korquad-ko, {len(docs)} "
                      f"documents, {len(queries)} queries, keyword side alone (BM25, same weighting and IDF).",
                      "", *rows])
    write_section(ROOT / "BENCHMARKS.md", "Korean keyword side: morphemes against character bigrams", body)


if __name__ == "__main__":
    main()
