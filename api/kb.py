"""The KnowledgeBase facade shared by the CLI, the HTTP API and notebooks.

It keeps what a user calls (ingest, search, ask, digest, documents, stats, remove, close) and hands
each call to its stage: veille.pipeline ingests, veille.index retrieves and copies stores, veille.engines
answers and writes digests. The backends it runs on are veille.backends'.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from veille.backends import Backends, open_store
from veille.engines.answering import Evidence, collect
from veille.engines.asking import ask_stream
from veille.engines.digesting import make_digest
from veille.engines.i18n import ANSWER_LANGS
from veille.engines.llm import LLM
from veille.engines.models import Answer, Digest
from veille.filters import check_filters
from veille.index.models import DocRecord, EmbedderInfo, Hit, SearchFilters, SearchMode
from veille.index.reembed import reembed
from veille.index.retrieval import QUERY_MIN_LETTERS, search, search_many
from veille.index.store import Store
from veille.index.transfer import EDGE_DIR, copy_store
from veille.ingest.arxiv_source import ArxivFetcher
from veille.ingest.errors import LLMError, QueryError, VeilleError
from veille.ingest.lang import detect_language
from veille.ingest.textio import scrub
from veille.pipeline import (
    IngestReport,
    Progress,
    Sink,
    build_search_index,
    discovered,
    dry_sink,
    load_arxiv,
    load_files,
    run,
    skip_unchanged,
    store_sink,
    text_named,
)
from veille.watch import Subscriptions

if TYPE_CHECKING:
    from veille.collecting import Collector
    from veille.ingest.sources import Loaded
    from veille.watching import WatchReport

MAX_QUERY_CHARS = 4000  # a question, not a document: e5 reads 512 tokens of it, the reader all of it
DIGEST_PROBE = 200  # chunks looked at to find the documents a digest topic is about


class KnowledgeBase(Backends):
    """Open a Veille knowledge base: `kb = KnowledgeBase()` reads VEILLE_* settings.

    `embedder`, `store` and `llm` can be given (tests, notebooks); otherwise they are built from the
    settings on first use. Use as a context manager, or call close(), to release the store.
    """

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- ingest ---------------------------------------------------------------------------
    def ingest(self, paths: Iterable[Path | str], *, dry_run: bool = False, progress: Progress | None = None,
               origins: Mapping[str, str] | None = None, build_index: bool = True) -> IngestReport:
        """Ingest files and folders (PDF, notes, JSONL). Failures are reported, never raised.

        `origins` maps a file that is a copy (an upload) to the name it has on its owner's machine,
        so that it is stored, and later recognised, under that name. `build_index`: build the
        search index at the end once VEILLE_INDEX_AFTER chunks await it (the server does it itself).
        """
        found, items = discovered(Path(p) for p in paths)
        origins = {**text_named(found.files), **(origins or {})}
        report = IngestReport(items=items)
        files = found.files if dry_run else skip_unchanged(found.files, self.store.docs(), report, progress, origins)
        loaded = load_files(files, self.arxiv_store.get, origins, self.settings.max_text_mb * 2**20,
                            self.settings.file_seconds)
        return self._indexed(run(loaded, self._sink(dry_run), report, progress, self.chunking, self.token_counter()),
                             build_index and not dry_run)

    def ingest_arxiv(self, *, ids: list[str] | None = None, query: str | None = None,
                     category: str | None = None, days: int = 1, max_results: int = 50,
                     dry_run: bool = False, fetcher: ArxivFetcher | None = None,
                     progress: Progress | None = None, build_index: bool = True) -> IngestReport:
        """Fetch papers from arXiv (ids, a query, or a category window) and ingest them."""
        loaded = load_arxiv(fetcher or self.arxiv_fetcher(), ids=ids, query=query, category=category, days=days,
                            max_results=max_results)
        return self._indexed(run(loaded, self._sink(dry_run), IngestReport(), progress, self.chunking,
                                 self.token_counter()), build_index and not dry_run)

    def ingest_urls(self, urls: Iterable[str], *, collector: Collector | None = None,
                    progress: Progress | None = None, build_index: bool = True) -> IngestReport:
        """Fetch web pages (main text kept), PDFs or arXiv abs/pdf links, and ingest them."""
        collector = collector or self.collector()
        return self.ingest_loaded((collector.url(u) for u in urls), progress=progress, build_index=build_index)

    def ingest_loaded(self, loaded: Iterable[Loaded], *, progress: Progress | None = None,
                      build_index: bool = False) -> IngestReport:
        """Chunk, embed and store documents a source already loaded (the watch's collectors)."""
        report = run(loaded, self._sink(False), IngestReport(), progress, self.chunking, self.token_counter())
        return self._indexed(report, build_index)

    # -- the watch ------------------------------------------------------------------------
    @property
    def subscriptions(self) -> Subscriptions:
        """The watch's subscriptions (VEILLE_HOME/watch)."""
        return Subscriptions(self.settings.home / "watch")

    def watch(self, ids: list[str] | None = None, *, due_only: bool = False, digest: bool | None = None,
              collector: Collector | None = None, progress: Progress | None = None,
              build_index: bool = True) -> WatchReport:
        """Run subscriptions (all, the named ones, or the due ones), then write the morning digest when
        the run brought something in (`digest` True: always; False: never). `build_index`: as for ingest."""
        from veille.morning import write_morning_digest  # the watch's modules: when it runs
        from veille.watching import run_watch

        report = run_watch(self, self.subscriptions, collector or self.collector(), ids=ids, due_only=due_only,
                           progress=progress)
        self._indexed(report.report, build_index)
        if digest is False or (digest is None and not report.report.count("added", "updated")):
            return report
        try:
            report.digest_path = str(write_morning_digest(self, report, self.settings.digests,
                                                          self.settings.digest_lang))
        except VeilleError as exc:  # nothing came in during the window: said, not raised
            report.digest_error = str(exc)
        return report

    def optimize(self, force: bool = True) -> bool:
        """Build the embedded store's search index now (force) or once enough chunks await it."""
        at_least = 0 if force else max(1, self.settings.index_after)
        return build_search_index(self.store, at_least=at_least, notify=_say)

    def reembed(self, runtime: str | None = None, progress: Callable[[int], None] | None = None) -> int:
        """Re-embed every stored chunk with `runtime` (default: the configured one, 'auto' picking the
        fastest), in place; from then on the store holds that runtime's vectors. Returns the chunks done."""
        target = self.load_embedder(runtime or self.settings.embedding_runtime)
        if self._store is None:
            self._store = open_store(self.settings)
        store = self._store
        store.open(EmbedderInfo(model=target.model_id, dim=target.dim, runtime=target.runtime))
        held = store.stored_info()
        if held is not None and held.runtime == target.runtime and not held.reembedding:
            self._embedder, self._opened = target, True
            return 0  # its vectors already come from that runtime
        done = reembed(store, target, self.cache, progress=progress)
        self._embedder, self._opened = target, True
        build_search_index(store, at_least=max(1, self.settings.index_after), notify=_say)
        return done

    def _indexed(self, report: IngestReport, build: bool) -> IngestReport:
        if build and report.count("added", "updated"):
            self.optimize(force=False)
        return report

    def _sink(self, dry_run: bool) -> Sink:
        if dry_run:
            return dry_sink
        return store_sink(self.embedder, self.store, self.cache, self.settings.embedding_batch_size)

    # -- read -----------------------------------------------------------------------------
    def search(self, query: str, k: int = 10, mode: SearchMode = "hybrid",
               filters: SearchFilters | None = None, per_doc: bool = False) -> list[Hit]:
        """The k best passages for a query, in any language (a search made again before the store's
        next write is answered from the last results)."""
        text, flt, store = _query(query), self._checked(filters), self.store
        key = (text, k, mode, flt.model_dump_json(), per_doc)
        generation = store.generation
        if generation is not None and (kept := self.results.get(key, generation)) is not None:
            return kept
        hits = search(text, embedder=self.queries, store=store, k=k, mode=mode, filters=flt, per_doc=per_doc)
        if generation is not None:
            self.results.put(key, generation, hits)
        return hits

    def search_many(self, queries: list[str], k: int = 10, mode: SearchMode = "hybrid",
                    filters: SearchFilters | None = None, per_doc: bool = False) -> list[list[Hit]]:
        """Batch search (queries embedded together)."""
        return search_many([_query(q) for q in queries], embedder=self.embedder, store=self.store, k=k, mode=mode,
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

        With an LLM, the question is first translated into the archive's other languages (one call,
        kept), and those translations are searched too."""
        text, llm = _query(question), self.llm if use_llm else None
        warnings: list[str] = []

        def evidence(q: str, n: int) -> tuple[Evidence, list[Hit]]:
            # Translated here, once the engine has checked the question: a refused one costs no model call.
            variants, warning = self._variants(q, llm) if llm is not None else ([], None)
            warnings.extend([warning] if warning else [])
            return collect(q, embedder=self.queries, store=self.store, embed=self.embed_texts, k=n,
                           filters=self._checked(filters), floor=self.settings.ask_min_similarity, variants=variants)
        for event in ask_stream(text, k=k, lang=lang, collect=evidence, llm=llm, embed=self.embed_texts):
            if isinstance(event, Answer):
                event.warnings.extend(warnings)
            yield event

    def _variants(self, question: str, llm: LLM) -> tuple[list[str], str | None]:
        """The question in the archive's other answer languages, and a warning if the model failed."""
        asked = detect_language(question, min_letters=QUERY_MIN_LETTERS)
        langs = sorted({d.lang for d in self.documents()} & set(ANSWER_LANGS) - {asked})
        try:
            found = self.translations.of(question, langs, llm)
        except LLMError as exc:
            return [], f"the question was not translated ({exc}); searched as asked"
        return [t for t in found.values() if t.strip() and t.strip() != question.strip()], None

    def digest(self, topic: str | None = None, since: datetime | None = None, until: datetime | None = None,
               lang: str = "fr", max_docs: int = 8, kinds: list[str] | None = None) -> Digest:
        """A Markdown brief on a topic (or on what was ingested in the window, by theme), every claim cited."""
        return make_digest(topic=_query(topic) if topic else topic, since=since, until=until, lang=lang,
                           max_docs=max_docs, kinds=kinds,
                           records=self.documents(), chunk_vectors=self.store.chunk_vectors,
                           nearest=lambda vec, ids: self._nearest_docs(vec, ids, kinds),
                           embed_query=lambda text: self.queries.embed_queries([text])[0],
                           embed=self.embed_texts, floor=self.settings.ask_min_similarity, llm=self.llm)

    def _nearest_docs(self, vec: np.ndarray, doc_ids: list[str] | None, kinds: list[str] | None) -> set[str]:
        """Ids of the documents owning the chunks closest to `vec` (digest candidates)."""
        rows = self.store.query(vec.tolist(), None, "dense", DIGEST_PROBE, SearchFilters(doc_id=doc_ids, kind=kinds),
                                False)
        return {payload["doc_id"] for _, payload in rows}

    def _checked(self, filters: SearchFilters | None) -> SearchFilters:
        return check_filters(filters or SearchFilters(), self.documents)

    # -- the archive ----------------------------------------------------------------------
    def documents(self) -> list[DocRecord]:
        """Every stored document."""
        return self.records.docs()

    def document(self, doc_id: str) -> DocRecord | None:
        """One stored document."""
        return self.records.get_doc(doc_id)

    def chunks(self, doc_id: str) -> list[dict[str, Any]]:
        """A document's stored chunks in order."""
        return self.records.chunk_payloads(doc_id)

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

    def migrate(self, target: Store, batch: int = 256, progress: Callable[[int], None] | None = None) -> int:
        """Copy every chunk (vectors included: nothing is re-embedded) and document record into `target`."""
        return copy_store(self.store, target, source_name=str(self.settings.home), batch=batch, progress=progress)

    def stats(self) -> dict[str, Any]:
        """Counts by language and kind, and the embedder in use."""
        docs, s = self.documents(), self.settings
        held = self.records.stored_info() if self._embedder is None else None
        e = held or EmbedderInfo(model=self.embedder.model_id, dim=self.embedder.dim, runtime=self.embedder.runtime)
        return {
            "documents": len(docs), "chunks": self.records.count(),
            "by_lang": dict(Counter(d.lang for d in docs).most_common()),
            "by_kind": dict(Counter(d.kind for d in docs).most_common()),
            "pages": sum(d.pages or 0 for d in docs),
            "embedder": {"model": e.model, "runtime": e.runtime, "dim": e.dim},
            "store": {"url": s.qdrant_url, "path": None if s.qdrant_url else str(s.home / EDGE_DIR),
                      "collection": s.collection},
        }


def _query(text: str) -> str:
    """A query or question as the engines take it: valid UTF-8 and of a bounded length."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"longer than {MAX_QUERY_CHARS:,} characters ({len(text):,}); ask about one thing at a time",
                         source=text[:60] + "…")
    return scrub(text)


def _say(message: str) -> None:
    print(f"veille: {message}", file=sys.stderr)
