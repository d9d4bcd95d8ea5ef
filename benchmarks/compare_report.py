"""BENCHMARKS.md sections for benchmarks/compare.py (tables only; the reading is written by hand)."""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path
from typing import Any

from benchmarks.report import machine, write_section
from veille.evaluation import BeirReport


def _med(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in runs))


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "-"


def ingest_table(runs: dict[str, list[dict[str, Any]]], probe: dict[str, float]) -> list[str]:
    """Ingest, re-ingest, memory, latency and kb-questions rows, Veille against the baseline."""
    v, b = runs["veille"], runs["baseline"]
    rows = [("first ingest, wall (model already loaded)", "first_s", "{:.1f} s"),
            ("re-ingest of the unchanged papers", "reingest_s", "{:.2f} s"),
            ("peak memory of the process after ingest (RSS)", "rss_mib", "{:.0f} MiB"),
            ("warm search latency p50 (k=10)", "p50", "{:.1f} ms"),
            ("warm search latency p95 (k=10)", "p95", "{:.1f} ms"),
            ("kb-questions: gold source first (hit@1)", "hit1", "{:.0%}"),
            ("kb-questions: gold source in the top 5 (hit@5)", "hit5", "{:.0%}")]
    out = ["| figure | Veille | baseline | Veille / baseline |", "|---|---|---|---|"]
    for label, key, fmt in rows:
        out.append(f"| {label} | {fmt.format(_med(v, key))} | {fmt.format(_med(b, key))} "
                   f"| {_ratio(_med(v, key), _med(b, key))} |")
    out.append(f"| vectors stored after ingest + re-ingest | {v[0]['points']} (chunks) | {b[0]['points']} "
               f"({b[0]['nodes']} nodes, stored twice) | - |")
    out.append(f"| ask (Veille only): gold source cited / answer contains the fact | {v[0]['cited']:.0%} / "
               f"{v[0]['stated']:.0%} | - | - |")
    spent = v[0]["tokens"] / probe["tokens_per_s"]
    out += ["", f"Embedding stage alone (the compute bound): {probe['tokens_per_s']:.0f} tokens/s on "
                f"{probe['tokens_per_passage']:.0f}-token passages. Veille embedded {v[0]['tokens']:,} tokens "
                f"({v[0]['points']} chunks): ≈ {spent:.0f} s at that rate, {spent / _med(v, 'first_s'):.0%} of its "
                f"{_med(v, 'first_s'):.0f} s first ingest."]
    return out


def quality_table(quality: list[tuple[BeirReport, dict[str, Any]]]) -> list[str]:
    """Per set: Veille's three modes and the baseline (dense, per document)."""
    out = ["| set | docs / queries | system | nDCG@10 | R@10 | R@100 | MRR@10 | p50 ms | p95 ms |",
           "|---|---|---|---|---|---|---|---|---|"]
    for v, b in quality:
        size = f"{v.docs} / {v.queries}"
        for m in v.modes:
            x = m.metrics
            out.append(f"| {v.name} | {size} | Veille {m.mode} | {x['nDCG@10']:.3f} | {x['R@10']:.3f} | "
                       f"{x['R@100']:.3f} | {x['MRR@10']:.3f} | {m.p50_ms:.0f} | {m.p95_ms:.0f} |")
        x = b["metrics"]
        out.append(f"| {v.name} | {size} | baseline | {x['nDCG@10']:.3f} | {x['R@10']:.3f} | {x['R@100']:.3f} | "
                   f"{x['MRR@10']:.3f} | {b['p50']:.0f} | {b['p95']:.0f} |")
        hybrid = v.modes[0].metrics["nDCG@10"]
        out.append(f"| {v.name} | | **ratio** hybrid / baseline | **{_ratio(hybrid, x['nDCG@10'])}** | | | | | |")
    return out


def write_report(path: Path, args: argparse.Namespace, papers: Path, runs: dict[str, list[dict[str, Any]]],
                 probe: dict[str, float], quality: list[tuple[BeirReport, dict[str, Any]]], max_docs: int,
                 max_queries: int) -> None:
    """Write (or replace) the comparison sections of BENCHMARKS.md."""
    quick = " --quick" if args.quick else ""
    suffix = " (quick)" if args.quick else ""
    n_papers = len(list(papers.glob("*.pdf")))
    head = (f"Command: `python -m benchmarks.compare{quick} --repeat {args.repeat}` on {machine()}; embedder: the "
            f"default runtime for both systems. {n_papers} PDFs of ../shared/corpus/papers; runs alternate "
            f"Veille, baseline ({args.repeat}× each, medians); kb-questions over papers + notes "
            f"({runs['veille'][0]['questions']} questions whose gold source is ingested).")
    write_section(path, f"Veille vs LlamaIndex baseline: ingest and latency{suffix}",
                  "\n".join([head, "", *ingest_table(runs, probe)]))
    head = (f"Same run. Seeded subsets: {max_queries} judged queries per set, all their judged documents, then "
            f"others up to {max_docs}. Baseline: dense retrieval of 1024-token nodes, ranked per document; "
            "latency over single warm queries.")
    write_section(path, f"Veille vs LlamaIndex baseline: quality{suffix}",
                  "\n".join([head, "", *quality_table(quality)]))
