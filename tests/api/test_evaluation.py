"""`veille eval`: BEIR folders in a throwaway store, kb-questions files over a knowledge base."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import make_settings, open_samples_kb
from veille.errors import EmptyInputError, ParseError
from veille.evaluation import load_beir, load_questions, percentiles, read_qrels, run_beir, run_questions
from veille.interfaces.cli import cli
from veille.interfaces.cli.exit_codes import EXIT_ERROR, EXIT_OK
from veille.kb import KnowledgeBase

MINI = Path(__file__).resolve().parent.parent / "data" / "beir-mini"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VEILLE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("VEILLE_CACHE_DIR", str(make_settings(tmp_path).cache_dir))
    return tmp_path / "home"


def test_load_beir_keeps_judged_queries_and_their_documents() -> None:
    full = load_beir(MINI)
    assert [q["_id"] for q in full.queries] == ["q1", "q2", "q3", "q4", "q5", "q7"] and not full.sampled
    small = load_beir(MINI, max_docs=3, max_queries=2)
    judged = {d for q in small.queries for d in small.qrels[q["_id"]]}
    assert small.sampled and len(small.queries) == 2 and set(small.qrels) == {q["_id"] for q in small.queries}
    assert judged <= {d["_id"] for d in small.docs} and len(small.docs) == 3
    assert load_beir(MINI, split="dev").qrels == {"q1": {"en2": 1}}


def test_bad_beir_folders_are_named(tmp_path: Path) -> None:
    shutil.copytree(MINI, tmp_path / "set")
    with pytest.raises(ParseError, match="missing qrels"):
        load_beir(tmp_path / "set", split="train")
    (tmp_path / "set" / "queries.jsonl").write_text('{"_id": "q1", "text": "ok"}\n{not json\n')
    with pytest.raises(ParseError, match=r"queries\.jsonl:2"):
        load_beir(tmp_path / "set")
    (tmp_path / "set" / "qrels" / "test.tsv").write_text("q1\ten2\t1\nq2\tfr1\tmaybe\n")
    with pytest.raises(ParseError, match=r"test\.tsv:2"):
        read_qrels(tmp_path / "set" / "qrels" / "test.tsv")
    (tmp_path / "set" / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nzz\ten2\t1\n")
    (tmp_path / "set" / "queries.jsonl").write_text('{"_id": "q1", "text": "ok"}\n')
    with pytest.raises(EmptyInputError, match="no query"):
        load_beir(tmp_path / "set")


def test_percentiles_nearest_rank() -> None:
    assert percentiles([5.0]) == (5.0, 5.0)
    assert percentiles([float(x) for x in range(1, 101)]) == (50.5, 95.0)


@pytest.fixture(scope="module")
def mini_report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    root = tmp_path_factory.mktemp("mini")
    with KnowledgeBase(make_settings(root / "home")) as kb:
        yield run_beir(kb, load_beir(MINI), root, latency_queries=3)


def test_run_beir_scores_every_mode(mini_report: object) -> None:
    from veille.evaluation import BeirReport
    assert isinstance(mini_report, BeirReport)
    modes = {m.mode: m for m in mini_report.modes}
    assert set(modes) == {"hybrid", "dense", "sparse"} and mini_report.docs == 8 and mini_report.failed_docs == 0
    assert modes["dense"].metrics["R@100"] == 1.0  # 8 documents: all are returned
    # sparse finds q1-q4 and nothing for the cross-lingual q5 and the nonsense q7; the query with no hit
    # at all must count as a miss, not vanish from the average
    assert modes["sparse"].metrics["R@100"] == pytest.approx(4 / 6)
    assert modes["hybrid"].metrics["nDCG@10"] >= 0.6 and modes["hybrid"].metrics["MRR@10"] >= 0.6
    assert all(0 < m.p50_ms <= m.p95_ms for m in modes.values()) and mini_report.latency_queries == 3


def test_cli_eval_on_a_beir_folder() -> None:
    result = CliRunner().invoke(cli, ["eval", str(MINI), "--mode", "dense", "--json", "--latency-queries", "2"])
    assert result.exit_code == EXIT_OK, result.output
    data = json.loads(result.stdout)
    assert [m["mode"] for m in data["modes"]] == ["dense"] and data["queries"] == 6
    assert set(data["modes"][0]["metrics"]) == {"nDCG@10", "R@10", "R@100", "MRR@10"}
    text = CliRunner().invoke(cli, ["eval", str(MINI), "--mode", "sparse", "--latency-queries", "1"])
    assert text.exit_code == EXIT_OK and "nDCG@10" in text.stdout and "sparse" in text.stdout


def test_cli_eval_usage_and_bad_input(tmp_path: Path) -> None:
    assert CliRunner().invoke(cli, ["eval"]).exit_code == 2
    (tmp_path / "empty").mkdir()
    bad = CliRunner().invoke(cli, ["eval", str(tmp_path / "empty")])
    assert bad.exit_code == EXIT_ERROR and "missing qrels" in bad.stderr
    (tmp_path / "q.jsonl").write_text('{"id": "x", "question": "Q?"}\n')
    bad = CliRunner().invoke(cli, ["eval", "--questions", str(tmp_path / "q.jsonl")])
    assert bad.exit_code == EXIT_ERROR and "q.jsonl:1" in bad.stderr


def _questions(path: Path) -> Path:
    rows = [{"id": "s1", "lang": "en", "question": "How many experts does the router pick for every token?",
             "gold_sources": ["reading-log.txt"], "answer_contains": ["two"]},
            {"id": "s2", "lang": "fr",
             "question": "Pourquoi la taille du cache KV croît-elle avec la longueur du contexte ?",
             "gold_sources": ["cache-kv-memoire.md"], "answer_contains": []},
            {"id": "s3", "lang": "en", "question": "What is a good recipe for apple pie?",
             "gold_sources": ["nowhere.md"], "answer_contains": ["apple"]}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return path


def test_questions_over_a_knowledge_base(tmp_path: Path) -> None:
    kb = open_samples_kb(tmp_path)
    asked: list[str] = []
    ask = kb.ask
    try:
        kb.ask = lambda question, **kw: asked.append(question) or ask(question, **kw)  # type: ignore[method-assign]
        report = run_questions(kb, load_questions(_questions(tmp_path / "q.jsonl")))
    finally:
        kb.close()
    assert asked == [q["question"] for q in load_questions(tmp_path / "q.jsonl")] * 2  # no untimed warm-up
    by_id = {r.id: r for r in report.results}
    assert by_id["s1"].gold_rank == 1 and by_id["s2"].gold_rank == 1 and by_id["s3"].gold_rank is None
    assert by_id["s1"].cited and by_id["s1"].stated and by_id["s2"].cited
    assert not by_id["s3"].found and not by_id["s3"].stated  # a refusal never "contains" the answer
    assert report.hit_at_1 == pytest.approx(2 / 3) and report.citation_hit_rate == pytest.approx(2 / 3)
    times = sorted(r.ask_ms or 0.0 for r in report.results)
    assert times[0] > 0 and report.ask_p50_ms == times[1] and report.ask_p95_ms == times[2]
    again = sorted(r.warm_ask_ms or 0.0 for r in report.results)
    assert again[0] > 0 and report.warm_ask_p50_ms == again[1] and report.warm_ask_p95_ms == again[2]


def test_cli_eval_questions(tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    open_samples_kb(tmp_path).close()
    monkeypatch.setenv("VEILLE_HOME", str(tmp_path / "home"))
    result = CliRunner().invoke(cli, ["eval", "--questions", str(_questions(tmp_path / "q.jsonl")), "--no-ask"])
    assert result.exit_code == EXIT_OK, result.output
    assert "in the top 5 for 2/3" in result.stdout and "s3" in result.stdout and "ask:" not in result.stdout
