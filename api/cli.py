"""The `veille` command line. It only wires stages together and turns errors into exit codes."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from tqdm import tqdm

from api.evaluation import json_lines
from api.ingesting import IngestItem, IngestReport
from api.kb import KnowledgeBase
from api.remote import RemoteIngest, find_server
from api.settings import Settings
from index.models import Hit, SearchFilters, SearchMode
from ingest.errors import StoreError, VeilleError

T = TypeVar("T")
EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3


def _fail(exc: VeilleError) -> NoReturn:
    click.echo(f"error: {exc}", err=True)
    raise SystemExit(EXIT_ERROR)


def _or_fail(action: Callable[[], T]) -> T:
    """Run `action`; a VeilleError (bad input file, unreachable server...) becomes exit code 1."""
    try:
        return action()
    except VeilleError as exc:
        _fail(exc)


def _with_kb(action: Callable[[KnowledgeBase], T]) -> T:
    """Run `action` on a freshly opened knowledge base; a VeilleError becomes exit code 1."""
    try:
        with KnowledgeBase() as kb:
            return action(kb)
    except StoreError as exc:
        settings = Settings()
        server = None if settings.server_url else find_server(settings)
        if server:  # the store is held by our own server: say where to go instead
            exc = StoreError(f"{exc.message} — a Veille server answers at {server} (API at {server}/docs)",
                             source=exc.source)
        _fail(exc)
    except VeilleError as exc:
        _fail(exc)


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


def _exit_code(report: IngestReport) -> int:
    if report.ok:
        return EXIT_OK
    return EXIT_PARTIAL if report.documents else EXIT_ERROR


@click.group()
@click.version_option(package_name="veille")
def cli() -> None:
    """Veille: a multilingual knowledge base for AI research papers and notes."""


@cli.command()
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

    While `veille serve` runs on this VEILLE_HOME (or VEILLE_SERVER_URL is set), the server holds
    the store: files are uploaded to it and its ingest jobs followed to the end.
    """
    settings = Settings()
    server = None if dry_run else _or_fail(lambda: find_server(settings))
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
            report = target.ingest([Path(p) for p in inputs], progress=step, **dry)
    except VeilleError as exc:
        close()
        _fail(exc)
    close()
    _summary(report, as_json, dry_run)
    raise SystemExit(_exit_code(report))


def _hit_json(hit: Hit) -> dict[str, Any]:
    return {"rank": hit.rank, "score": round(hit.score, 6), "doc_id": hit.doc_id, "chunk_id": hit.chunk_id,
            "title": hit.title, "source": hit.source, "arxiv_id": hit.arxiv_id, "lang": hit.lang,
            "page_start": hit.page_start, "page_end": hit.page_end, "section": " > ".join(hit.section),
            "text": hit.text}


def _print_hits(query: str, hits: list[Hit]) -> None:
    if not hits:
        click.echo(f"no passage matches {query!r}", err=True)
    for h in hits:
        pages = ""
        if h.page_start:
            pages = f" p.{h.page_start}" + (f"-{h.page_end}" if h.page_end != h.page_start else "")
        click.echo(f"{h.rank:>2}. [{h.score:.4f}] {h.title[:70]} ({h.doc_id}{pages}, {h.lang})")
        click.echo("    " + " ".join(h.text.split())[:300])


def _read_queries(path: Path) -> list[tuple[str, str]]:
    out = []
    for n, row in json_lines(path):
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise VeilleError('bad query line (expected {"_id", "text"})', source=f"{path}:{n}")
        out.append((str(row.get("_id", row.get("id", n))), row["text"]))
    return out


@cli.command()
@click.argument("query", required=False)
@click.option("-k", "k", type=int, default=10, show_default=True, help="How many passages.")
@click.option("--mode", type=click.Choice(["hybrid", "dense", "sparse"]), default="hybrid", show_default=True)
@click.option("--lang", multiple=True, help="Only passages in this language (repeatable).")
@click.option("--kind", multiple=True, help="Only this source type: paper, note, record.")
@click.option("--category", multiple=True, help="Only papers of this arXiv category.")
@click.option("--doc", "doc_ids", multiple=True, help="Only this document id.")
@click.option("--since", "date_from", type=click.DateTime(), help="Documents dated on or after.")
@click.option("--until", "date_to", type=click.DateTime(), help="Documents dated on or before.")
@click.option("--per-doc", is_flag=True, help="Best passage per document only.")
@click.option("--queries", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSONL file of {\"_id\", \"text\"} queries; one JSON line out per query.")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def search(query: str | None, k: int, mode: SearchMode, lang: tuple[str, ...], kind: tuple[str, ...],
           category: tuple[str, ...], doc_ids: tuple[str, ...], date_from: Any, date_to: Any, per_doc: bool,
           queries: Path | None, as_json: bool) -> None:
    """Search the knowledge base in any language: veille search "KV cache compression"."""
    filters = SearchFilters(lang=list(lang) or None, kind=list(kind) or None, category=list(category) or None,
                            doc_id=list(doc_ids) or None, date_from=date_from, date_to=date_to)
    if bool(query) == bool(queries):
        raise click.UsageError("give a QUERY or --queries FILE (one of them)")
    if queries:
        batch = _or_fail(lambda: _read_queries(queries))
        results = _with_kb(lambda kb: kb.search_many([t for _, t in batch], k=k, mode=mode, filters=filters,
                                                      per_doc=per_doc))
        for (qid, _), found in zip(batch, results, strict=True):
            click.echo(json.dumps({"query_id": qid, "hits": [_hit_json(h) for h in found]}, ensure_ascii=False))
        return
    hits = _with_kb(lambda kb: kb.search(query or "", k=k, mode=mode, filters=filters, per_doc=per_doc))
    if as_json:
        click.echo(json.dumps({"query": query, "hits": [_hit_json(h) for h in hits]}, ensure_ascii=False, indent=1))
    else:
        _print_hits(query or "", hits)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def docs(as_json: bool) -> None:
    """List the stored documents."""
    records = _with_kb(lambda kb: kb.documents())
    if as_json:
        keys = ("doc_id", "title", "source", "arxiv_id", "lang", "kind", "pages", "chunks", "ingested_at")
        click.echo(json.dumps({"documents": [{k: v for k, v in r.model_dump(mode="json").items() if k in keys}
                                             for r in records]}, ensure_ascii=False, indent=1))
        return
    for r in records:
        click.echo(f"{r.doc_id}\t{r.kind}\t{r.lang}\t{r.chunks} chunks\t{r.title[:70]}")
    click.echo(f"{len(records)} documents", err=True)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def stats(as_json: bool) -> None:
    """Counts by language and kind, and the embedder in use."""
    data = _with_kb(lambda kb: kb.stats())
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
        return
    for key, value in data.items():
        click.echo(f"{key}: {value}")


@cli.command()
@click.argument("target")
def remove(target: str) -> None:
    """Delete a document entirely: veille remove DOC_ID|PATH."""
    record = _with_kb(lambda kb: kb.remove(target))
    click.echo(f"removed {record.doc_id} ({record.chunks} chunks): {record.title}")


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    return cli.main(args=argv, prog_name="veille")


# Registers `ask`, `digest`, `serve`, `migrate` and `eval` on the group above (own modules, for size).
from api import cli_answers, cli_eval  # noqa: E402,F401
