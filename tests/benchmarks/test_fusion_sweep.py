"""The fusion-weight sweep scores exactly what `veille eval` scores at the default weight."""

from __future__ import annotations

from pathlib import Path

from benchmarks.fusion_sweep import sweep
from tests.conftest import make_settings
from veille.evaluation import load_beir, run_beir
from veille.index.retrieval import SPARSE_WEIGHT
from veille.kb import KnowledgeBase

MINI = Path(__file__).resolve().parent.parent / "data" / "beir-mini"


def test_sweep_matches_veille_eval_at_the_default_weight(tmp_path: Path) -> None:
    beir = load_beir(MINI)
    cache = make_settings(tmp_path).cache_dir
    rows = sweep(beir, tmp_path / "sweep", [SPARSE_WEIGHT, 0.0], cache_dir=cache)
    assert [r.split(" | ")[:2] for r in rows[2:]] == [["| dense", "-"], ["| sparse", "-"],
                                                      ["| hybrid", str(SPARSE_WEIGHT)], ["| hybrid", "0.0"]]
    with KnowledgeBase(make_settings(tmp_path / "eval")) as kb:
        report = run_beir(kb, beir, tmp_path / "eval-work", latency_queries=1)
    expected = {m.mode: f"{m.metrics['nDCG@10']:.3f}" for m in report.modes}
    ndcg = {r.split(" | ")[0][2:] + r.split(" | ")[1]: r.split(" | ")[2] for r in rows[2:]}
    assert ndcg["dense-"] == expected["dense"] and ndcg["sparse-"] == expected["sparse"]
    assert ndcg[f"hybrid{SPARSE_WEIGHT}"] == expected["hybrid"]
    assert ndcg["hybrid0.0"] == expected["dense"]  # no keyword weight: the dense ranking
