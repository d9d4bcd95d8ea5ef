"""Parse and chunk throughput on ../shared/corpus/papers; writes a section of BENCHMARKS.md.

    python benchmarks/ingest_bench.py [--papers DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from benchmarks.report import machine, write_section
from veille.ingest.chunking import chunk_document
from veille.ingest.pdf import parse_pdf

ROOT = Path(__file__).resolve().parent.parent


def run(papers: Path, repeat: int) -> dict[str, float]:
    """Median-of-`repeat` wall times for parsing and chunking every PDF in `papers`."""
    files = sorted(papers.glob("*.pdf"))
    parse_t, chunk_t = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        docs = [parse_pdf(f) for f in files]
        parse_t.append(time.perf_counter() - start)
        start = time.perf_counter()
        chunks = [c for d in docs for c in chunk_document(d)]
        chunk_t.append(time.perf_counter() - start)
    pages = sum(d.pages or 0 for d in docs)
    chars = sum(len(d.text) for d in docs)
    p, c = statistics.median(parse_t), statistics.median(chunk_t)
    return {"files": len(files), "pages": pages, "chunks": len(chunks), "parse_s": p,
            "pages_per_s": pages / p, "chunk_s": c, "chunk_chars_per_s": chars / c,
            "chunks_per_s": len(chunks) / c}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--papers", type=Path, default=ROOT.parent / "shared" / "corpus" / "papers")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    r = run(args.papers, args.repeat)
    lines = [
        f"Command: `python -m benchmarks.ingest_bench --repeat {args.repeat}` on {machine()}.",
        "",
        "| stage | input | median wall time | throughput |",
        "|---|---|---|---|",
        f"| PDF parse (PyMuPDF + layout) | {r['files']} PDFs, {r['pages']} pages | {r['parse_s']:.2f} s "
        f"| {r['pages_per_s']:.0f} pages/s |",
        f"| chunking (sentences, budget) | {r['chunks']} chunks | {r['chunk_s']:.2f} s "
        f"| {r['chunks_per_s']:.0f} chunks/s, {r['chunk_chars_per_s'] / 1000:.0f} k chars/s |",
    ]
    print("\n".join(lines))
    write_section(ROOT / "BENCHMARKS.md", "Ingest throughput", "\n".join(lines))


if __name__ == "__main__":
    main()
