"""How much lower the embedder scores a sentence's translation than the sentence itself (the tuning
instrument for veille.engines.relevance.TRANSLATION_GAP).

    python -m benchmarks.language_gap [../shared/eval/tatoeba-en-fr ../shared/eval/tatoeba-en-ko]
        [--pairs 500] [--json]

Each Tatoeba set pairs English sentences with their French or Korean translations. For a question
language q and a sentence language s, the cosine of "query: a" to "passage: b" is averaged over the
pairs (b = a itself when s = q, its translation otherwise) and over unrelated pairs (the same lists
shifted). The gap (q's own language minus s) is what a translation loses against the same words in
the question's language. Prints a Markdown table (or JSON); writes nothing: the constants are a
decision, recorded in BENCHMARKS.md with these figures.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from veille.evaluation import BeirSet, load_beir
from veille.index.embedding.embedder import Embedder
from veille.kb import KnowledgeBase
from veille.settings import Settings

SETS = [Path("../shared/eval/tatoeba-en-fr"), Path("../shared/eval/tatoeba-en-ko")]
SHIFTS = (1, 7, 31, 101)  # unrelated pairs: the passage list rolled by these offsets


def pairs(beir: BeirSet, limit: int) -> list[tuple[str, str]]:
    """(English sentence, its translation) for up to `limit` judged queries, in the set's order."""
    docs = {str(d["_id"]): str(d["text"]) for d in beir.docs}
    out = [(str(q["text"]), docs[d]) for q in beir.queries for d in beir.qrels[str(q["_id"])] if d in docs]
    return out[:limit]


def measure(embedder: Embedder, sentences: list[tuple[str, str]], other: str) -> list[dict[str, object]]:
    """One row per (question language, sentence language): mean relevant and unrelated cosines."""
    texts = {"en": [a for a, _ in sentences], other: [b for _, b in sentences]}
    queries = {lang: embedder.embed_queries(t) for lang, t in texts.items()}
    passages = {lang: embedder.embed_passages(t) for lang, t in texts.items()}
    rows: list[dict[str, object]] = []
    for q_lang, q_vecs in queries.items():
        own = float((q_vecs * passages[q_lang]).sum(axis=1).mean())
        for s_lang, p_vecs in passages.items():
            relevant = float((q_vecs * p_vecs).sum(axis=1).mean())
            unrelated = float(np.mean([(q_vecs * np.roll(p_vecs, s, axis=0)).sum(axis=1).mean() for s in SHIFTS]))
            rows.append({"question": q_lang, "sentence": s_lang, "pairs": len(sentences), "relevant": relevant,
                         "unrelated": unrelated, "gap": own - relevant})
    return rows


def table(rows: list[dict[str, object]]) -> str:
    """The rows as Markdown."""
    lines = ["| question | sentence | pairs | relevant | unrelated | gap |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['question']} | {r['sentence']} | {r['pairs']} | {r['relevant']:.3f} | {r['unrelated']:.3f} | "
              f"{r['gap']:.3f} |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("folders", type=Path, nargs="*", default=SETS)
    p.add_argument("--pairs", type=int, default=500)
    p.add_argument("--runtime", default="auto", help="a VEILLE_EMBEDDING_RUNTIME value")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="veille-gap-") as tmp, KnowledgeBase(Settings(
            home=Path(tmp), cache_dir=Path(tmp) / "cache", embedding_runtime=args.runtime)) as kb:
        for folder in args.folders:
            beir = load_beir(folder, max_queries=args.pairs)
            rows += measure(kb.services.embedder, pairs(beir, args.pairs), beir.name.rsplit("-", 1)[-1])
    print(json.dumps(rows, indent=1) if args.json else table(rows))


if __name__ == "__main__":
    main()
