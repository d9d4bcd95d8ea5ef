"""The KnowledgeBase facade shared by the CLI, the HTTP API and notebooks."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from api.answering import Evidence, answer_language, check_question, collect, extractive, nothing_found, stream_text
from api.digesting import make_digest
from api.filters import check_filters
from api.generation import llm_stream
from api.ingesting import IngestItem, IngestReport, Sink, Status, discovered, load_arxiv, load_files, process
from api.llm import LLM, make_llm
from api.models import Answer, Digest
from api.settings import Settings
from index.cache import EmbeddingCache, embed_passages
from index.embedder import Embedder, load_embedder
from index.indexer import index_document
from index.models import DocRecord, EmbedderInfo, Hit, SearchFilters, SearchMode
from index.retrieval import search, search_many
from index.store import QdrantStore, Store
from ingest.arxiv_source import ArxivFetcher, ArxivStore
from ingest.chunking import ChunkingOptions, TokenCounter
from ingest.errors import LLMError, QueryError, StoreError, VeilleError
from ingest.models import Chunk, Document
from ingest.sources import Loaded

Progress = Callable[[IngestItem], None]
DIGEST_PROBE = 200  # chunks looked at to find the documents a digest topic is about
_UNCHANGED_SKIPPABLE = {".pdf", ".md", ".markdown", ".txt", ".text", ".html", ".htm"}


def _dry_sink(doc: Document, chunks: list[Chunk]) -> Status:
    return "dry-run"


class KnowledgeBase:
    """Open a Veille knowledge base: `kb = KnowledgeBase()` reads VEILLE_* settings.

    `embedder` and `store` can be given (tests, notebooks); otherwise they are built from the
    settings on first use. Use as a context manager, or call close(), to release the store.
    """

    def __init__(self, settings: Settings | None = None, *, embedder: Embedder | None = None,
                 store: Store | None = None, llm: LLM | None = None) -> None:
        self.settings = settings or Settings()
        self._llm = llm
        self.arxiv_store = ArxivStore(self.settings.arxiv_dir)
        self._embedder = embedder
        self._store = store
        self._opened = False
        self._cache: EmbeddingCache | None = None

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- backends -------------------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        """The embedding model (loaded once)."""
        if self._embedder is None:
            s = self.settings
            self._embedder = load_embedder(s.embedding_model, s.embedding_runtime, s.embedding_batch_size,
                                           marker=s.home / "embedding-runtime.txt")
        return self._embedder

    @property
    def store(self) -> Store:
        """The vector store, opened and checked against the embedder."""
        if self._store is None:
            s = self.settings
            self._store = QdrantStore(path=None if s.qdrant_url else s.home / "qdrant", url=s.qdrant_url,
                                      api_key=s.qdrant_api_key, collection=s.collection)
        if not self._opened:
            e = self.embedder
            self._store.open(EmbedderInfo(model=e.model_id, dim=e.dim, runtime=e.runtime))
            self._opened = True
        return self._store

    @property
    def llm(self) -> LLM | None:
        """The configured language model, or None (extractive answers)."""
        if self._llm is None:
            self._llm = make_llm(self.settings.llm)
        return self._llm

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        """Passage embeddings through the cache (sentences for answers and digests)."""
        return embed_passages(self.embedder, texts, self.cache, self.settings.embedding_batch_size)

    @property
    def cache(self) -> EmbeddingCache:
        """The embedding cache under VEILLE_HOME."""
        if self._cache is None:
            folder = self.settings.cache_dir or self.settings.home / "cache"
            self._cache = EmbeddingCache(folder / "embeddings.sqlite")
        return self._cache

    def close(self) -> None:
        """Release the store (local mode holds a lock) and the cache."""
        if self._store is not None:
            self._store.close()
            self._store, self._opened = None, False
        if self._cache is not None:
            self._cache.close()
            self._cache = None

    @property
    def chunking(self) -> ChunkingOptions:
        """Chunking options from the settings."""
        s = self.settings
        return ChunkingOptions(max_tokens=s.chunk_max_tokens, target_tokens=s.chunk_target_tokens,
                               overlap_tokens=s.chunk_overlap_tokens)

    def token_counter(self) -> TokenCounter:
        """Chunks are sized with the embedding model's own tokenizer."""
        return self.embedder.count_tokens

    def arxiv_fetcher(self, **overrides: Any) -> ArxivFetcher:
        """An arXiv client configured from the settings."""
        s = self.settings
        kwargs: dict[str, Any] = {"timeout": s.arxiv_timeout, "delay_seconds": s.arxiv_delay_seconds,
                                  "retries": s.arxiv_retries, **overrides}
        return ArxivFetcher(self.arxiv_store, **kwargs)

    # -- ingest ---------------------------------------------------------------------------
    def _run(self, loaded: Iterable[Loaded], sink: Sink, report: IngestReport,
             progress: Progress | None) -> IngestReport:
        count = self.token_counter()
        for item in loaded:
            result = process(item, sink, self.chunking, count)
            report.items.append(result)
            if progress:
                progress(result)
        return report

    def _store_sink(self) -> Sink:
        def sink(doc: Document, chunks: list[Chunk]) -> Status:
            return index_document(doc, chunks, embedder=self.embedder, store=self.store, cache=self.cache,
                                  batch_size=self.settings.embedding_batch_size)
        return sink

    def _skip_unchanged(self, files: list[Path], report: IngestReport, progress: Progress | None,
                        origins: Mapping[str, str]) -> list[Path]:
        """Files whose bytes match what is stored need no parsing at all."""
        by_source = {r.source: r for r in self.store.docs()}
        todo = []
        for path in files:
            origin = origins.get(str(path))
            record = by_source.get(origin or str(path.resolve()))
            if record and path.suffix.lower() in _UNCHANGED_SKIPPABLE and record.content_hash == _file_hash(path):
                item = IngestItem(source=origin or str(path), status="unchanged", doc_id=record.doc_id,
                                  title=record.title, kind=record.kind, lang=record.lang, pages=record.pages,
                                  chunks=record.chunks)
                report.items.append(item)
                if progress:
                    progress(item)
            else:
                todo.append(path)
        return todo

    def ingest(self, paths: Iterable[Path | str], *, dry_run: bool = False, progress: Progress | None = None,
               origins: Mapping[str, str] | None = None) -> IngestReport:
        """Ingest files and folders (PDF, notes, JSONL). Failures are reported, never raised.

        `origins` maps a file that is a copy (an upload) to the name it has on its owner's machine,
        so that it is stored, and later recognised, under that name.
        """
        origins = origins or {}
        found, items = discovered(Path(p) for p in paths)
        report = IngestReport(items=items)
        files = found.files if dry_run else self._skip_unchanged(found.files, report, progress, origins)
        sink = _dry_sink if dry_run else self._store_sink()
        return self._run(load_files(files, self.arxiv_store.get, origins), sink, report, progress)

    def ingest_arxiv(self, *, ids: list[str] | None = None, query: str | None = None,
                     category: str | None = None, days: int = 1, max_results: int = 50,
                     dry_run: bool = False, fetcher: ArxivFetcher | None = None,
                     progress: Progress | None = None) -> IngestReport:
        """Fetch papers from arXiv (ids, a query, or a category window) and ingest them."""
        loaded: Iterator[Loaded] = load_arxiv(fetcher or self.arxiv_fetcher(), ids=ids, query=query,
                                              category=category, days=days, max_results=max_results)
        sink = _dry_sink if dry_run else self._store_sink()
        return self._run(loaded, sink, IngestReport(), progress)

    # -- read -----------------------------------------------------------------------------
    def search(self, query: str, k: int = 10, mode: SearchMode = "hybrid",
               filters: SearchFilters | None = None, per_doc: bool = False) -> list[Hit]:
        """The k best passages for a query, in any language."""
        return search(query, embedder=self.embedder, store=self.store, k=k, mode=mode,
                      filters=self._checked(filters), per_doc=per_doc)

    def search_many(self, queries: list[str], k: int = 10, mode: SearchMode = "hybrid",
                    filters: SearchFilters | None = None, per_doc: bool = False) -> list[list[Hit]]:
        """Batch search (queries embedded together)."""
        return search_many(queries, embedder=self.embedder, store=self.store, k=k, mode=mode,
                           filters=self._checked(filters), per_doc=per_doc)

    def ask(self, question: str, k: int = 8, lang: str | None = None, filters: SearchFilters | None = None,
            use_llm: bool = True) -> Answer:
        """Answer a question from the archive, every sourced sentence cited ([n] → verbatim quote + page).

        Extractive without an LLM; with one (VEILLE_LLM__*), generated then checked, falling back to
        the extractive answer when the model fails or nothing it wrote is supported.
        """
        final: Answer | None = None
        for event in self.ask_stream(question, k=k, lang=lang, filters=filters, use_llm=use_llm):
            if isinstance(event, Answer):
                final = event
        assert final is not None  # ask_stream always ends with an Answer
        return final

    def ask_stream(self, question: str, k: int = 8, lang: str | None = None,
                   filters: SearchFilters | None = None, use_llm: bool = True) -> Iterator[str | Answer]:
        """Like ask(), but yields text pieces as they are produced and the checked Answer last.

        The Answer is authoritative: streamed pieces of a reply that then fails its checks are
        superseded by it."""
        text = check_question(question)
        answer_lang = answer_language(text, lang)
        if not 1 <= k <= 50:
            raise QueryError(f"k must be between 1 and 50 for an answer, got {k}", source="k")
        ev, hits = collect(text, embedder=self.embedder, store=self.store, embed=self.embed_texts, k=k,
                           filters=self._checked(filters), floor=self.settings.ask_min_similarity)
        llm = self.llm if use_llm else None
        if not ev.relevant:
            answer = nothing_found(text, answer_lang, ev.timings)
        elif llm is None:
            answer = extractive(text, answer_lang, ev)
        else:
            # pieces already streamed may belong to a reply that fails its checks: the Answer is authoritative
            yield (yield from self._generated(text, answer_lang, hits[:k], llm, ev))
            return
        yield from stream_text(answer)
        yield answer

    def _generated(self, text: str, lang: str, hits: list[Hit], llm: LLM,
                   ev: Evidence) -> Generator[str | Answer, None, Answer]:
        """Stream the model's reply; on failure, the extractive answer with the reason as a warning."""
        try:
            for event in llm_stream(text, lang, hits, llm, self.embed_texts):
                if isinstance(event, Answer):
                    event.timings = {**ev.timings, **event.timings}
                    return event
                yield event
        except LLMError as exc:
            fallback = extractive(text, lang, ev)
            fallback.warnings.append(f"{exc}; extractive answer given instead")
            return fallback
        raise LLMError("the reply stream ended without an answer", source=llm.name)

    def digest(self, topic: str | None = None, since: datetime | None = None, until: datetime | None = None,
               lang: str = "fr", max_docs: int = 8, kinds: list[str] | None = None) -> Digest:
        """A Markdown brief on a topic (or on what was ingested in the window, by theme), every claim cited."""
        return make_digest(topic=topic, since=since, until=until, lang=lang, max_docs=max_docs, kinds=kinds,
                           records=self.documents(), chunk_vectors=self.store.chunk_vectors,
                           nearest=lambda vec, ids: self._nearest_docs(vec, ids, kinds),
                           embed_query=lambda text: self.embedder.embed_queries([text])[0],
                           embed=self.embed_texts, floor=self.settings.ask_min_similarity, llm=self.llm)

    def _nearest_docs(self, vec: np.ndarray, doc_ids: list[str] | None, kinds: list[str] | None) -> set[str]:
        """Ids of the documents owning the chunks closest to `vec` (digest candidates)."""
        rows = self.store.query(vec.tolist(), None, "dense", DIGEST_PROBE, SearchFilters(doc_id=doc_ids, kind=kinds),
                                False)
        return {payload["doc_id"] for _, payload in rows}

    def migrate(self, target: Store, batch: int = 256, progress: Callable[[int], None] | None = None) -> int:
        """Copy every chunk (with its vectors: nothing is re-embedded) and document record into `target`.

        Points go before records, so an interrupted copy is completed by running it again."""
        info = self.store.stored_info()
        if info is None:
            raise StoreError("nothing to migrate: the store is empty", source=str(self.settings.home))
        target.open(info)
        copied, pending = 0, []
        for point in self.store.export_points(batch):
            pending.append(point)
            if len(pending) >= batch:
                target.upsert(pending)
                copied, pending = copied + len(pending), []
                if progress:
                    progress(copied)
        if pending:
            target.upsert(pending)
            copied += len(pending)
        for record in self.store.docs():
            target.put_doc(record)
        return copied

    def _checked(self, filters: SearchFilters | None) -> SearchFilters:
        return check_filters(filters or SearchFilters(), self.documents)

    def documents(self) -> list[DocRecord]:
        """Every stored document."""
        return self.store.docs()

    def document(self, doc_id: str) -> DocRecord | None:
        """One stored document."""
        return self.store.get_doc(doc_id)

    def chunks(self, doc_id: str) -> list[dict[str, Any]]:
        """A document's stored chunks in order."""
        return self.store.chunk_payloads(doc_id)

    def remove(self, doc_id_or_path: str) -> DocRecord:
        """Delete a document entirely, by id or by the path it was ingested from."""
        record = self.store.get_doc(doc_id_or_path)
        if record is None:
            path = Path(doc_id_or_path)
            wanted = str(path.resolve()) if path.exists() or "/" in doc_id_or_path else doc_id_or_path
            record = next((r for r in self.store.docs() if r.source in (wanted, doc_id_or_path)), None)
        if record is None:
            raise VeilleError("no such document (give a document id or the path it was ingested from)",
                              source=doc_id_or_path)
        self.store.delete_doc(record.doc_id)
        return record

    def stats(self) -> dict[str, Any]:
        """Counts by language and kind, and the embedder in use."""
        docs = self.documents()
        e = self.embedder
        return {
            "documents": len(docs), "chunks": self.store.count(),
            "by_lang": dict(Counter(d.lang for d in docs).most_common()),
            "by_kind": dict(Counter(d.kind for d in docs).most_common()),
            "pages": sum(d.pages or 0 for d in docs),
            "embedder": {"model": e.model_id, "runtime": e.runtime, "dim": e.dim},
            "store": {"url": self.settings.qdrant_url, "path": None if self.settings.qdrant_url
                      else str(self.settings.home / "qdrant"), "collection": self.settings.collection},
        }


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
