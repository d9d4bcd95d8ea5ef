"""The ingest pipeline as the CLI, HTTP API and notebooks run it: inputs → documents → chunks →
the store, with a report that names every failure."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from veille.errors import EmptyInputError, VeilleError
from veille.glossary import mine
from veille.index.embedding.cache import EmbeddingCache, embed_passages
from veille.index.embedding.embedder import Embedder
from veille.index.indexer import index_document
from veille.index.records import DocRecord
from veille.index.stores.base import Store
from veille.ingest.arxiv_source import ArxivFetcher
from veille.ingest.chunking import CHUNKING_VERSION, ChunkingOptions, TokenCounter, chunk_document
from veille.ingest.documents import ArxivMeta, Chunk, Document
from veille.ingest.local_files import Discovery, Loaded, discover, load_file
from veille.ingest.text_files import MAX_TEXT_BYTES, path_name

if TYPE_CHECKING:
    from veille.ingest.pdf import MetaLookup

Status = Literal["added", "updated", "unchanged", "failed", "skipped", "dry-run"]
Sink = Callable[[Document, list[Chunk]], Status]
Progress = Callable[["IngestItem"], None]
# Formats whose document is a pure function of the file's bytes (a JSONL file holds many documents).
_UNCHANGED_SKIPPABLE = {".pdf", ".md", ".markdown", ".txt", ".text", ".html", ".htm"}


class IngestItem(BaseModel):
    """What happened to one input (a file, a JSONL line, an arXiv id)."""

    source: str = Field(description="File path, 'file:line' or arXiv id.")
    status: Status
    doc_id: str | None = None
    title: str | None = None
    kind: str | None = None
    lang: str | None = None
    pages: int | None = None
    chunks: int = 0
    reason: str | None = Field(default=None, description="Why it failed or was skipped.")
    warnings: list[str] = Field(default_factory=list)


class IngestReport(BaseModel):
    """Summary of an ingest run."""

    items: list[IngestItem] = Field(default_factory=list)

    def count(self, *statuses: Status) -> int:
        """Number of items in any of the given statuses."""
        return sum(1 for i in self.items if i.status in statuses)

    @property
    def documents(self) -> int:
        """Documents that went in (or would, in a dry run)."""
        return self.count("added", "updated", "unchanged", "dry-run")

    @property
    def chunks(self) -> int:
        """Chunks of those documents."""
        return sum(i.chunks for i in self.items if i.status != "failed")

    @property
    def pages(self) -> int:
        """PDF pages of those documents."""
        return sum(i.pages or 0 for i in self.items if i.status != "failed")

    @property
    def failed(self) -> list[IngestItem]:
        """Items that failed, with reasons."""
        return [i for i in self.items if i.status == "failed"]

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failed


def failure(source: str, error: VeilleError | str) -> IngestItem:
    """A failed item; the reason is the error's message without the repeated source."""
    reason = error.message if isinstance(error, VeilleError) else error
    return IngestItem(source=source, status="failed", reason=reason)


def process(loaded: Loaded, sink: Sink, options: ChunkingOptions,
            count: TokenCounter | None) -> IngestItem:
    """Chunk one loaded document and hand it to the sink (the store, or nothing on dry runs)."""
    if loaded.error is not None or loaded.document is None:
        source = (loaded.error.source if loaded.error else None) or loaded.source
        return failure(source, loaded.error or "nothing loaded")
    doc = loaded.document
    try:
        chunks = chunk_document(doc, options, count)
        if not chunks:
            raise EmptyInputError("no text worth indexing", source=loaded.source)
        status = sink(doc, chunks)
    except VeilleError as exc:
        return failure(loaded.source, exc)
    return IngestItem(source=loaded.source, status=status, doc_id=doc.doc_id, title=doc.title,
                      kind=doc.kind, lang=doc.lang, pages=doc.pages, chunks=len(chunks),
                      warnings=loaded.warnings)


def discovered(paths: Iterable[Path]) -> tuple[Discovery, list[IngestItem]]:
    """Expand inputs; report missing paths as failures and unknown files in folders as skipped."""
    found = discover(paths)
    items = [failure(path_name(p), "no such file or folder") for p in found.missing]
    items += [IngestItem(source=path_name(s), status="skipped", reason=r) for s, r in found.skipped]
    return found, items


def text_named(files: Iterable[Path]) -> dict[str, str]:
    """Origins for files whose names are not valid UTF-8: they are stored (and recognised again) under
    their name with the undecodable bytes written as \\xNN, which stores and reports can hold."""
    return {str(f): path_name(f.resolve()) for f in files if path_name(f) != str(f)}


def load_files(files: Iterable[Path], meta_lookup: MetaLookup | None,
               origins: Mapping[str, str] | None = None, max_text_bytes: int = MAX_TEXT_BYTES,
               max_seconds: float | None = None) -> Iterator[Loaded]:
    """Every document in the files, in order, errors included; `origins` maps copies to real names."""
    for path in files:
        yield from load_file(path, meta_lookup, (origins or {}).get(str(path)), max_text_bytes, max_seconds)


def load_arxiv(fetcher: ArxivFetcher, *, ids: list[str] | None = None, query: str | None = None,
               category: str | None = None, days: int = 1, max_results: int = 50) -> Iterator[Loaded]:
    """Find papers on arXiv, store their PDFs and parse them, one Loaded per paper."""
    if ids:
        metas: Iterable[ArxivMeta | VeilleError] = fetcher.by_ids(ids)
    elif query:
        metas = fetcher.by_query(query, max_results)
    elif category:
        metas = fetcher.by_category(category, days, max_results)
    else:
        raise VeilleError("give arXiv ids, --query or --category")
    try:
        for n, meta in enumerate(metas):
            if n >= max_results:
                break
            if isinstance(meta, VeilleError):
                yield Loaded(meta.source or "arxiv", error=meta)
                continue
            yield load_paper(fetcher, meta)
    except VeilleError as exc:  # the search itself failed (offline, HTTP error feed)
        yield Loaded(exc.source or "arxiv", error=exc)


def load_paper(fetcher: ArxivFetcher, meta: ArxivMeta, metadata: Mapping[str, Any] | None = None) -> Loaded:
    """One paper whose metadata is known: its PDF stored (once) and parsed; `metadata` added to the document."""
    try:
        meta, pdf, _ = fetcher.fetch_pdf(meta)
        from veille.ingest.pdf import parse_pdf  # PyMuPDF takes ~1 s to import: when a paper comes

        doc = parse_pdf(pdf, fetcher.store.get, arxiv_id=meta.arxiv_id)
    except VeilleError as exc:  # named by the paper, not by the content-addressed file it was stored as
        return Loaded(meta.arxiv_id, error=type(exc)(exc.message, source=meta.arxiv_id))
    return Loaded(meta.abs_url or meta.arxiv_id, document=doc.model_copy(
        update={"source": meta.abs_url or doc.source, "metadata": {**doc.metadata, **(metadata or {})}}))


def run(loaded: Iterable[Loaded], sink: Sink, report: IngestReport, progress: Progress | None,
        options: ChunkingOptions, count: TokenCounter | None) -> IngestReport:
    """Chunk and sink every loaded document into `report`, telling `progress` after each."""
    for item in loaded:
        result = process(item, sink, options, count)
        report.items.append(result)
        if progress:
            progress(result)
    return report


def dry_sink(doc: Document, chunks: list[Chunk]) -> Status:
    """The sink of a dry run: stores nothing."""
    return "dry-run"


def store_sink(embedder: Embedder, store: Store, cache: EmbeddingCache, batch_size: int) -> Sink:
    """The sink that embeds a document's chunks (through the cache) and stores them with its glossary pairs."""
    def pairs(doc: Document) -> list[tuple[str, str]]:
        return mine((b.text for b in doc.blocks if b.role == "body"),
                    lambda texts: embed_passages(embedder, texts, cache, batch_size), doc.lang)

    def sink(doc: Document, chunks: list[Chunk]) -> Status:
        return index_document(doc, chunks, embedder=embedder, store=store, cache=cache, batch_size=batch_size,
                              glossary=pairs)
    return sink


def skip_unchanged(files: list[Path], records: list[DocRecord], report: IngestReport,
                   progress: Progress | None, origins: Mapping[str, str]) -> list[Path]:
    """The files still to ingest: those whose bytes match what is stored (and that this chunker's version
    cut) need no parsing at all."""
    by_source = {r.source: r for r in records}
    todo = []
    for path in files:
        origin = origins.get(str(path))
        record = by_source.get(origin or str(path.resolve()))
        if (record and path.suffix.lower() in _UNCHANGED_SKIPPABLE and record.chunking == CHUNKING_VERSION
                and record.content_hash == _file_hash(path)):
            item = IngestItem(source=origin or str(path), status="unchanged", doc_id=record.doc_id,
                              title=record.title, kind=record.kind, lang=record.lang, pages=record.pages,
                              chunks=record.chunks)
            report.items.append(item)
            if progress:
                progress(item)
        else:
            todo.append(path)
    return todo


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_search_index(store: Store, *, at_least: int, notify: Callable[[str], None]) -> bool:
    """Build the store's search index when at least `at_least` chunks await it (0: whatever waits).

    Until then new chunks are searched exactly, which stays fast for tens of thousands of them
    (BENCHMARKS.md); building is worth its blocking minutes only past that."""
    waiting = store.unindexed()
    if not waiting or waiting < at_least:
        return False
    notify(f"building the search index over {waiting} new chunks (searches keep working meanwhile)…")
    start = time.perf_counter()
    changed = store.optimize()
    notify(f"search index built in {time.perf_counter() - start:.1f} s")
    return changed
