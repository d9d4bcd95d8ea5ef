"""The LlamaIndex baseline and the comparison report: they must keep working as the libraries move."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from benchmarks.baseline import Baseline
from benchmarks.compare import baseline_beir
from benchmarks.compare_report import write_report
from veille.evaluation import BeirReport, ModeScores, load_beir
from veille.index.embedding.cache import EmbeddingCache
from veille.index.embedding.runtimes import load_embedder

# llama-index asks local-mode Qdrant for payload indexes, which it warns have no effect there
pytestmark = pytest.mark.filterwarnings("ignore:Payload indexes have no effect:UserWarning")

MINI = Path(__file__).resolve().parent.parent / "data" / "beir-mini"


def test_baseline_retrieves_and_duplicates_on_reingest(tmp_path: Path) -> None:
    base = Baseline(tmp_path / "q", load_embedder())
    records = load_beir(MINI).docs
    assert base.ingest_records(records) == 8
    top = base.retrieve("How does a student model learn from a teacher model?", 3, key="doc_id")
    assert top[0][0] == "en2" and len(top) == 3
    base.ingest_records(records)  # a plain pipeline run twice stores everything twice
    assert base.points() == 16
    base.close()


def test_baseline_cache_gives_the_same_vectors_without_embedding_again(tmp_path: Path) -> None:
    records = load_beir(MINI).docs
    plain = Baseline(tmp_path / "plain", load_embedder())
    plain.ingest_records(records)
    expected = plain.retrieve("How does a student model learn from a teacher model?", 8, key="doc_id")
    plain.close()
    for run in range(2):
        cache = EmbeddingCache(tmp_path / "cache.sqlite")
        cached = Baseline(tmp_path / f"cached-{run}", load_embedder(), cache=cache)
        cached.ingest_records(records)
        assert (cache.hits, cache.misses) == ((0, 8) if run == 0 else (8, 0))
        got = cached.retrieve("How does a student model learn from a teacher model?", 8, key="doc_id")
        assert [d for d, _ in got] == [d for d, _ in expected]
        assert [s for _, s in got] == pytest.approx([s for _, s in expected], abs=1e-5)
        cached.close()


def test_baseline_beir_scores_with_ir_measures(tmp_path: Path) -> None:
    result = baseline_beir(load_beir(MINI), tmp_path / "b", load_embedder(), latency_n=2, cache_dir=tmp_path / "c")
    assert set(result["metrics"]) == {"nDCG@10", "R@10", "R@100", "MRR@10"}
    assert result["metrics"]["R@100"] == 1.0 and result["p50"] > 0


def test_report_tables(tmp_path: Path) -> None:
    run = {"first_s": 10.0, "reingest_s": 0.01, "rss_mib": 500.0, "points": 100, "tokens": 7000, "p50": 20.0,
           "p95": 30.0, "hit1": 0.8, "hit5": 1.0, "cited": 0.9, "stated": 0.8, "questions": 5}
    runs = {"veille": [run], "baseline": [run | {"first_s": 20.0, "reingest_s": 20.0, "nodes": 40, "points": 80}]}
    scores = ModeScores(mode="hybrid", metrics={"nDCG@10": 0.9, "R@10": 1.0, "R@100": 1.0, "MRR@10": 0.9},
                        p50_ms=20.0, p95_ms=30.0, batch_ms_per_query=5.0)
    report = BeirReport(name="mini", docs=8, queries=6, sampled=False, ingest_s=1.0, failed_docs=0,
                        latency_queries=6, modes=[scores])
    baseline = {"metrics": {"nDCG@10": 0.6, "R@10": 1.0, "R@100": 1.0, "MRR@10": 0.5}, "p50": 10.0, "p95": 12.0}
    out = tmp_path / "B.md"
    write_report(out, argparse.Namespace(quick=True, repeat=1), tmp_path, runs, {"tokens_per_s": 700.0,
                 "ms_per_passage": 300.0, "tokens_per_passage": 210.0}, [(report, baseline)], 60, 15)
    text = out.read_text()
    assert "| first ingest, wall (model already loaded) | 10.0 s | 20.0 s | 0.50 |" in text
    assert "| mini | | **ratio** hybrid / baseline | **1.50** |" in text and "(quick)" in text
    assert "≈ 10 s at that rate, 100% of its 10 s first ingest" in text
