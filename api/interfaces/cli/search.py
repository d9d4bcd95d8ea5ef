"""`veille search`: passages for one query, or a JSONL file of queries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from veille.anchors import hit_anchor
from veille.errors import VeilleError
from veille.index.hits import Hit, SearchFilters, SearchMode
from veille.ingest.documents import ROLES
from veille.interfaces.cli.exit_codes import or_fail, with_kb


def _hit_json(hit: Hit) -> dict[str, Any]:
    return {"rank": hit.rank, "score": round(hit.score, 6), "doc_id": hit.doc_id, "chunk_id": hit.chunk_id,
            "title": hit.title, "source": hit.source, "arxiv_id": hit.arxiv_id, "lang": hit.lang,
            "page_start": hit.page_start, "page_end": hit.page_end, "section": " > ".join(hit.section),
            "role": hit.role, "text": hit.text, "anchor": hit_anchor(hit).model_dump()}


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
    from veille.evaluation import json_lines  # the evaluation module imports ir-measures: only for files

    out = []
    for n, row in json_lines(path):
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise VeilleError('bad query line (expected {"_id", "text"})', source=f"{path}:{n}")
        out.append((str(row.get("_id", row.get("id", n))), row["text"]))
    return out


@click.command()
@click.argument("query", required=False)
@click.option("-k", "k", type=int, default=10, show_default=True, help="How many passages.")
@click.option("--mode", type=click.Choice(["hybrid", "dense", "sparse"]), default="hybrid", show_default=True)
@click.option("--lang", multiple=True, help="Only passages in this language (repeatable).")
@click.option("--kind", multiple=True, help="Only this source type: paper, note, record.")
@click.option("--category", multiple=True, help="Only papers of this arXiv category.")
@click.option("--doc", "doc_ids", multiple=True, help="Only this document id.")
@click.option("--since", "date_from", type=click.DateTime(), help="Documents dated on or after.")
@click.option("--until", "date_to", type=click.DateTime(), help="Documents dated on or before.")
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLES),
              help="Search these chunk roles (default: body; the bibliography and front matter on request).")
@click.option("--per-doc", is_flag=True, help="Best passage per document only.")
@click.option("--queries", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSONL file of {\"_id\", \"text\"} queries; one JSON line out per query.")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def search(query: str | None, k: int, mode: SearchMode, lang: tuple[str, ...], kind: tuple[str, ...],
           category: tuple[str, ...], doc_ids: tuple[str, ...], date_from: Any, date_to: Any, roles: tuple[str, ...],
           per_doc: bool, queries: Path | None, as_json: bool) -> None:
    """Search the knowledge base in any language: veille search "KV cache compression"."""
    filters = SearchFilters(lang=list(lang) or None, kind=list(kind) or None, category=list(category) or None,
                            doc_id=list(doc_ids) or None, date_from=date_from, date_to=date_to,
                            roles=list(roles) or None)
    if bool(query) == bool(queries):
        raise click.UsageError("give a QUERY or --queries FILE (one of them)")
    if queries:
        batch = or_fail(lambda: _read_queries(queries))
        results = with_kb(lambda kb: kb.search_many([t for _, t in batch], k=k, mode=mode, filters=filters,
                                                      per_doc=per_doc))
        for (qid, _), found in zip(batch, results, strict=True):
            click.echo(json.dumps({"query_id": qid, "hits": [_hit_json(h) for h in found]}, ensure_ascii=False))
        return
    hits = with_kb(lambda kb: kb.search(query or "", k=k, mode=mode, filters=filters, per_doc=per_doc))
    if as_json:
        click.echo(json.dumps({"query": query, "hits": [_hit_json(h) for h in hits]}, ensure_ascii=False, indent=1))
    else:
        _print_hits(query or "", hits)
