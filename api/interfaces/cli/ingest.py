"""`veille ingest`: files, folders and arXiv papers, locally or through a running server."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from veille.errors import VeilleError
from veille.interfaces.cli.exit_codes import EXIT_ERROR, EXIT_OK, EXIT_PARTIAL, fail, or_fail
from veille.interfaces.http.client import RemoteIngest, find_server
from veille.kb import KnowledgeBase
from veille.pipeline import IngestItem, IngestReport
from veille.settings import Settings


def _progress() -> tuple[Callable[[IngestItem], None], Callable[[], None]]:
    """A per-document progress bar on stderr (silent when stderr is not a terminal)."""
    bar = tqdm(unit="doc", file=sys.stderr, disable=None, dynamic_ncols=True)

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
    changes = "" if dry_run else (f" ({report.count('added')} added, {report.count('updated')} updated, "
                                  f"{report.count('unchanged')} unchanged)")
    click.echo(f"{verb}: {report.documents} documents{changes}, {report.chunks} chunks, {report.pages} pages; "
               f"skipped {report.count('skipped')}, failed {len(report.failed)}", err=True)
    for item in report.items:
        for warning in item.warnings:
            click.echo(f"  warning: {warning}", err=True)
        if item.status in ("failed", "skipped"):
            click.echo(f"  {item.status}: {item.source}: {item.reason}", err=True)


def is_url(value: str) -> bool:
    """An http(s) URL given on the command line (anything else is a path)."""
    return value.startswith(("http://", "https://"))


def _exit_code(report: IngestReport) -> int:
    if report.ok:
        return EXIT_OK
    return EXIT_PARTIAL if report.documents else EXIT_ERROR


@click.command()
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
    """Ingest files and folders (PDF, .md, .txt, .html, .jsonl), web pages, or papers from arXiv:

    \b
      veille ingest notes/ papers/paper.pdf
      veille ingest https://example.org/blog/post/   (the article's text, title, author, date)
      veille ingest arxiv 1706.03762 hep-th/9901001v1
      veille ingest arxiv --query "retrieval augmented generation" --max 20
      veille ingest arxiv --category cs.CL --days 3

    While `veille serve` runs on this VEILLE_HOME (or VEILLE_SERVER_URL is set), the server holds
    the store: files are uploaded to it and its ingest jobs followed to the end.
    """
    settings = Settings()
    server = None if dry_run else or_fail(lambda: find_server(settings))
    if server:
        click.echo(f"a Veille server holds this knowledge base: ingesting through {server}", err=True)
        _ingest(RemoteIngest(server, settings.api_token), inputs, query, category, days, max_results,
                dry_run, as_json)
        return
    with KnowledgeBase(settings) as kb:
        _ingest(kb, inputs, query, category, days, max_results, dry_run, as_json)


def _ingest(target: KnowledgeBase | RemoteIngest, inputs: tuple[str, ...], query: str | None,
            category: str | None, days: int, max_results: int, dry_run: bool, as_json: bool) -> None:
    arxiv_mode = bool(inputs) and inputs[0] == "arxiv"
    if not arxiv_mode and not inputs:
        raise click.UsageError("give files or folders, or `arxiv ID...` / `arxiv --query Q`")
    step, close = _progress()
    dry: dict[str, Any] = {"dry_run": True} if dry_run else {}  # dry runs never go to a server (they need no store)
    try:
        if arxiv_mode:
            if not (inputs[1:] or query or category):
                raise click.UsageError("`ingest arxiv` needs ids, --query or --category")
            report = target.ingest_arxiv(ids=list(inputs[1:]) or None, query=query, category=category,
                                         days=days, max_results=max_results, progress=step, **dry)
        else:
            urls = [p for p in inputs if is_url(p)]
            report = target.ingest([Path(p) for p in inputs if not is_url(p)], progress=step, **dry)
            if urls:
                if dry_run:
                    raise click.UsageError("--dry-run takes files and folders, not URLs")
                report.items += target.ingest_urls(urls, progress=step).items
    except VeilleError as exc:
        close()
        fail(exc)
    close()
    _summary(report, as_json, dry_run)
    raise SystemExit(_exit_code(report))
