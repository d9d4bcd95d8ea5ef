"""The `veille` command line. It only wires stages together and turns errors into exit codes."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from api.ingesting import IngestItem, IngestReport
from api.kb import KnowledgeBase
from ingest.errors import VeilleError

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3


def _fail(exc: VeilleError) -> None:
    click.echo(f"error: {exc}", err=True)
    raise SystemExit(EXIT_ERROR)


def _progress(total: int | None) -> tuple[Callable[[IngestItem], None], Callable[[], None]]:
    bar = tqdm(total=total, unit="doc", file=sys.stderr, disable=None, dynamic_ncols=True)

    def step(item: IngestItem) -> None:
        bar.set_postfix_str(Path(item.source).name[:40], refresh=False)
        bar.update(1)

    return step, bar.close


def _summary(report: IngestReport, as_json: bool, dry_run: bool) -> None:
    if as_json:
        click.echo(json.dumps({"documents": report.documents, "chunks": report.chunks,
                               "pages": report.pages, "items": [i.model_dump() for i in report.items]},
                              ensure_ascii=False, indent=1))
        return
    if dry_run:
        for item in report.items:
            if item.status == "dry-run":
                click.echo(f"{item.doc_id}\t{item.lang}\t{item.pages or '-'} p\t{item.chunks} chunks\t"
                           f"{(item.title or '')[:70]}")
    verb = "would store" if dry_run else "stored"
    click.echo(f"{verb}: {report.documents} documents, {report.chunks} chunks, {report.pages} pages; "
               f"skipped {report.count('skipped')}, failed {len(report.failed)}", err=True)
    for item in report.items:
        for warning in item.warnings:
            click.echo(f"  warning: {warning}", err=True)
        if item.status in ("failed", "skipped"):
            click.echo(f"  {item.status}: {item.source}: {item.reason}", err=True)


def _exit_code(report: IngestReport) -> int:
    if report.ok:
        return EXIT_OK
    return EXIT_PARTIAL if report.documents else EXIT_ERROR


@click.group()
@click.version_option(package_name="veille")
def cli() -> None:
    """Veille: a multilingual knowledge base for AI research papers and notes."""


@cli.command(context_settings={"ignore_unknown_options": False})
@click.argument("inputs", nargs=-1)
@click.option("--query", "-q", help="arXiv search query (with `ingest arxiv`).")
@click.option("--category", "-c", help="arXiv category, e.g. cs.CL (with `ingest arxiv`).")
@click.option("--days", type=click.IntRange(1, 365), default=1, show_default=True,
              help="Submission window for --category.")
@click.option("--max", "max_results", type=click.IntRange(1, 2000), default=50, show_default=True,
              help="Cap on arXiv results.")
@click.option("--dry-run", is_flag=True, help="Parse and chunk, print what would be stored.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def ingest(inputs: tuple[str, ...], query: str | None, category: str | None, days: int,
           max_results: int, dry_run: bool, as_json: bool) -> None:
    """Ingest files and folders (PDF, .md, .txt, .html, .jsonl), or papers from arXiv:

    \b
      veille ingest notes/ papers/paper.pdf
      veille ingest arxiv 1706.03762 hep-th/9901001v1
      veille ingest arxiv --query "retrieval augmented generation" --max 20
      veille ingest arxiv --category cs.CL --days 3
    """
    kb = KnowledgeBase()
    arxiv_mode = bool(inputs) and inputs[0] == "arxiv"
    if not arxiv_mode and not inputs:
        raise click.UsageError("give files or folders, or `arxiv ID...` / `arxiv --query Q`")
    step, close = _progress(None)
    try:
        if arxiv_mode:
            if not (inputs[1:] or query or category):
                raise click.UsageError("`ingest arxiv` needs ids, --query or --category")
            report = kb.ingest_arxiv(ids=list(inputs[1:]) or None, query=query, category=category,
                                     days=days, max_results=max_results, dry_run=dry_run, progress=step)
        else:
            report = kb.ingest([Path(p) for p in inputs], dry_run=dry_run, progress=step)
    except VeilleError as exc:
        close()
        _fail(exc)
    close()
    _summary(report, as_json, dry_run)
    raise SystemExit(_exit_code(report))


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    return cli.main(args=argv, prog_name="veille")
