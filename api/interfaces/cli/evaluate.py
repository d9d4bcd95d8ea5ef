"""`veille eval`: registered on the main command group."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import cast

import click

from veille.evaluation import MODES, BeirReport, QuestionsReport, load_beir, load_questions, run_beir, run_questions
from veille.index.hits import SearchMode
from veille.interfaces.cli.exit_codes import or_fail, with_kb
from veille.kb import KnowledgeBase
from veille.settings import Settings


def _beir(folder: Path, modes: tuple[SearchMode, ...], split: str, max_docs: int | None,
          max_queries: int | None, latency_queries: int) -> BeirReport:
    """Score the set in a throwaway local store that shares the user's embedding cache."""
    beir = load_beir(folder, split, max_docs, max_queries)
    user = Settings()
    with tempfile.TemporaryDirectory(prefix="veille-eval-") as tmp:
        settings = user.model_copy(update={"home": Path(tmp) / "home", "qdrant_url": None,
                                           "cache_dir": user.cache_dir or user.home / "cache"})
        with KnowledgeBase(settings) as kb:
            return run_beir(kb, beir, Path(tmp), modes, latency_queries)


def _print_beir(r: BeirReport) -> None:
    sample = " (sample)" if r.sampled else ""
    failed = f", {r.failed_docs} records failed to ingest" if r.failed_docs else ""
    click.echo(f"{r.name}: {r.docs} documents, {r.queries} queries{sample}; ingest {r.ingest_s:.1f} s{failed}; "
               f"latency over {r.latency_queries} single searches")
    click.echo(f"{'mode':<8}{'nDCG@10':>9}{'R@10':>8}{'R@100':>8}{'MRR@10':>8}{'p50 ms':>9}{'p95 ms':>9}")
    for m in r.modes:
        x = m.metrics
        click.echo(f"{m.mode:<8}{x['nDCG@10']:>9.3f}{x['R@10']:>8.3f}{x['R@100']:>8.3f}{x['MRR@10']:>8.3f}"
                   f"{m.p50_ms:>9.1f}{m.p95_ms:>9.1f}")


def _print_questions(r: QuestionsReport) -> None:
    n = r.questions
    click.echo(f"search: gold source first for {r.hit_at_1 * n:.0f}/{n} ({r.hit_at_1:.0%}), "
               f"in the top 5 for {r.hit_at_5 * n:.0f}/{n} ({r.hit_at_5:.0%})")
    if r.citation_hit_rate is not None and r.answer_contains_rate is not None:
        click.echo(f"ask: gold source cited for {r.citation_hit_rate * n:.0f}/{n} ({r.citation_hit_rate:.0%}), "
                   f"answer contains the expected text for {r.answer_contains_rate * n:.0f}/{n} "
                   f"({r.answer_contains_rate:.0%}); ask took p50 {r.ask_p50_ms or 0:.0f} ms, "
                   f"p95 {r.ask_p95_ms or 0:.0f} ms the first time, p50 {r.warm_ask_p50_ms or 0:.0f} ms, "
                   f"p95 {r.warm_ask_p95_ms or 0:.0f} ms asked again")
    if r.refusal_rate is not None:
        click.echo(f"refused {r.refusal_rate * r.unanswerable:.0f}/{r.unanswerable} questions the archive cannot "
                   f"answer ({r.refusal_rate:.0%}); answers stating the expected fact: "
                   f"{r.answer_precision if r.answer_precision is not None else 0:.0%} of those given")
    for q in r.results:
        if not q.answerable:
            if q.found:
                click.echo(f"  {q.id} ({q.lang}): answered a question the archive cannot answer")
        elif q.gold_rank != 1 or q.cited is False or q.stated is False:
            click.echo(f"  {q.id} ({q.lang}): gold rank {q.gold_rank or '>10'}"
                       + ("" if q.cited is None else f", cited {q.cited}, stated {q.stated}"))


@click.command("eval")
@click.argument("folder", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--questions", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="kb-questions-style JSONL, scored against the current knowledge base.")
@click.option("--mode", type=click.Choice(["hybrid", "dense", "sparse", "all"]), default="all", show_default=True)
@click.option("--split", default="test", show_default=True, help="qrels/SPLIT.tsv to score against.")
@click.option("--max-docs", type=click.IntRange(1), help="Sample: judged documents first, then others up to N.")
@click.option("--max-queries", type=click.IntRange(1), help="Sample N judged queries (seeded).")
@click.option("--latency-queries", type=click.IntRange(1), default=100, show_default=True,
              help="Single searches timed per mode.")
@click.option("--no-ask", is_flag=True, help="With --questions: search figures only.")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def eval_(folder: Path | None, questions: Path | None, mode: str, split: str, max_docs: int | None,
          max_queries: int | None, latency_queries: int, no_ask: bool, as_json: bool) -> None:
    """Measure retrieval: on a BEIR folder (corpus.jsonl, queries.jsonl, qrels/) in a throwaway store,
    or with --questions on the current knowledge base.

    \b
      veille eval ~/beir/scifact --max-docs 1000 --max-queries 200
      veille eval --questions my-questions.jsonl --json
    """
    if bool(folder) == bool(questions):
        raise click.UsageError("give a BEIR FOLDER or --questions FILE (one of them)")
    if questions:
        rows = or_fail(lambda: load_questions(questions))
        q_report = with_kb(lambda kb: run_questions(kb, rows, ask=not no_ask))
        if as_json:
            click.echo(q_report.model_dump_json(indent=1))
        else:
            _print_questions(q_report)
        return
    modes = MODES if mode == "all" else (cast(SearchMode, mode),)
    report = or_fail(lambda: _beir(cast(Path, folder), modes, split, max_docs, max_queries, latency_queries))
    if as_json:
        click.echo(report.model_dump_json(indent=1))
    else:
        _print_beir(report)
