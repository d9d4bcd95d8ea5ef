"""The KnowledgeBase facade shared by the CLI, the HTTP API and notebooks.

It keeps what a user calls (ingest, search, ask, digest, watch, documents, stats, remove, close) and
hands each call to its stage: veille.pipeline ingests, veille.index retrieves and copies stores,
veille.reader answers, veille.digest writes digests, veille.watch collects. The services it runs on
(embedder, store, cache, LLM, fetchers) are `kb.services` (veille.services).
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from veille.anchors import absolute, source_link
from veille.digest.brief import Digest
from veille.digest.build import make_digest
from veille.errors import LLMError, QueryError, VeilleError
from veille.filters import check_filters
from veille.glossary import Entry
from veille.index.embedding.embedder import Embedder
from veille.index.hits import Hit, SearchFilters, SearchMode
from veille.index.records import DocRecord
from veille.index.retrieval import QUERY_MIN_LETTERS, query_vectors, search, search_many
from veille.index.stores.base import Store
from veille.index.stores.migrate import EDGE_DIR, copy_store
from veille.ingest.arxiv_source import ArxivFetcher
from veille.ingest.language import detect_language
from veille.ingest.text_files import scrub
from veille.languages import ANSWER_LANGS
from veille.llm import LLM
from veille.pipeline import (
    IngestReport,
    Progress,
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
from veille.reader.answer import Answer, Citation
from veille.reader.ask import ask_stream
from veille.reader.evidence import Evidence, collect
from veille.services import Services
from veille.settings import Settings
from veille.watch.subscriptions import Subscriptions

if TYPE_CHECKING:
    from veille.ingest.local_files import Loaded
    from veille.watch.collector import Collector
    from veille.watch.run import WatchReport

MAX_QUERY_CHARS = 4000  # a question, not a document: e5 reads 512 tokens of it, the reader all of it


class KnowledgeBase:
    """Open a Veille knowledge base: `kb = KnowledgeBase()` reads VEILLE_* settings.

    `embedder`, `store` and `llm` can be given (tests, notebooks); otherwise they are built from the
    settings on first use (`kb.services` holds them). Use as a context manager, or call close(), to
    release the store.
    """

    def __init__(self, settings: Settings | None = None, *, embedder: Embedder | None = None,
                 store: Store | None = None, llm: LLM | None = None) -> None:
        self.settings = settings or Settings()
        self.services = Services(self.settings, embedder=embedder, store=store, llm=llm)

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
        files = found.files if dry_run else skip_unchanged(found.files, self.services.store.docs(), report, progress,
                                                            origins)
        loaded = load_files(files, self.services.arxiv_store.get, origins, self.settings.max_text_mb * 2**20,
                            self.settings.file_seconds)
        return self._indexed(self._run(loaded, report, progress, dry_run), build_index and not dry_run)

    def ingest_arxiv(self, *, ids: list[str] | None = None, query: str | None = None,
                     category: str | None = None, days: int = 1, max_results: int = 50,
                     dry_run: bool = False, fetcher: ArxivFetcher | None = None,
                     progress: Progress | None = None, build_index: bool = True) -> IngestReport:
        """Fetch papers from arXiv (ids, a query, or a category window) and ingest them."""
        loaded = load_arxiv(fetcher or self.services.arxiv_fetcher(), ids=ids, query=query, category=category,
                            days=days, max_results=max_results)
        return self._indexed(self._run(loaded, IngestReport(), progress, dry_run), build_index and not dry_run)

    def ingest_urls(self, urls: Iterable[str], *, collector: Collector | None = None,
                    progress: Progress | None = None, build_index: bool = True) -> IngestReport:
        """Fetch web pages (main text kept), PDFs or arXiv abs/pdf links, and ingest them."""
        collector = collector or self.services.collector()
        return self.ingest_loaded((collector.url(u) for u in urls), progress=progress, build_index=build_index)

    def ingest_loaded(self, loaded: Iterable[Loaded], *, progress: Progress | None = None,
                      build_index: bool = False) -> IngestReport:
        """Chunk, embed and store documents a source already loaded (the watch's collectors)."""
        return self._indexed(self._run(loaded, IngestReport(), progress, False), build_index)

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
        from veille.watch.morning_brief import write_morning_digest  # the watch's modules: when it runs
        from veille.watch.run import run_watch

        report = run_watch(self, self.subscriptions, collector or self.services.collector(), ids=ids, due_only=due_only,
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
        return build_search_index(self.services.store, at_least=at_least, notify=_say)

    def reembed(self, runtime: str | None = None, progress: Callable[[int], None] | None = None) -> int:
        """Re-embed every stored chunk with `runtime` (default: the configured one, 'auto' picking the
        fastest), in place; from then on the store holds that runtime's vectors. Returns the chunks done."""
        done = self.services.reembed(runtime or self.settings.embedding_runtime, progress)
        if done:
            build_search_index(self.services.store, at_least=max(1, self.settings.index_after), notify=_say)
        return done

    def _indexed(self, report: IngestReport, build: bool) -> IngestReport:
        if build and report.count("added", "updated"):
            self.optimize(force=False)
        return report

    def _run(self, loaded: Iterable[Loaded], report: IngestReport, progress: Progress | None,
             dry_run: bool) -> IngestReport:
        """Chunk the loaded documents and store them (or, in a dry run, only count them) into `report`."""
        s = self.services
        sink = dry_sink if dry_run else store_sink(s.embedder, s.store, s.cache, self.settings.embedding_batch_size)
        return run(loaded, sink, report, progress, s.chunking, s.token_counter())

    # -- read -----------------------------------------------------------------------------
    def search(self, query: str, k: int = 10, mode: SearchMode = "hybrid",
               filters: SearchFilters | None = None, per_doc: bool = False) -> list[Hit]:
        """The k best passages for a query, in any language (a search made again before the store's
        next write is answered from the last results)."""
        text, flt, store = _query(query), self._checked(filters), self.services.store
        key = (text, k, mode, flt.model_dump_json(), per_doc)
        generation = store.generation
        if generation is not None and (kept := self.services.results.get(key, generation)) is not None:
            return kept
        hits = search(text, embedder=self.services.queries, store=store, k=k, mode=mode, filters=flt, per_doc=per_doc,
                      means=self.services.language_means(), cfg=self.settings.retrieval,
                      variants=self.services.glossary().variants(text))
        if generation is not None:
            self.services.results.put(key, generation, hits)
        return hits

    def search_many(self, queries: list[str], k: int = 10, mode: SearchMode = "hybrid",
                    filters: SearchFilters | None = None, per_doc: bool = False) -> list[list[Hit]]:
        """Batch search (queries embedded together)."""
        return search_many([_query(q) for q in queries], embedder=self.services.embedder, store=self.services.store,
                           k=k, mode=mode, filters=self._checked(filters), per_doc=per_doc,
                           means=self.services.language_means(), cfg=self.settings.retrieval,
                           variants=self.services.glossary().variants)

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
        text, llm = _query(question), self.services.llm if use_llm else None
        warnings: list[str] = []

        def evidence(q: str, n: int) -> tuple[Evidence, list[Hit]]:
            # Translated here, once the engine has checked the question: a refused one costs no model call.
            variants, warning = self._variants(q, llm) if llm is not None else ([], None)
            warnings.extend([warning] if warning else [])
            s = self.services
            return collect(q, embedder=s.queries, store=s.store, embed=s.embed_texts, k=n,
                           filters=self._checked(filters), floor=self.settings.ask_min_similarity, variants=variants,
                           cfg=self.settings.reader)
        for event in ask_stream(text, k=k, lang=lang, collect=evidence, llm=llm, embed=self.services.embed_texts):
            if isinstance(event, Answer):
                event.warnings.extend(warnings)
            yield event

    def _variants(self, question: str, llm: LLM) -> tuple[list[str], str | None]:
        """The question in the archive's other answer languages, and a warning if the model failed."""
        asked = detect_language(question, min_letters=QUERY_MIN_LETTERS)
        langs = sorted({d.lang for d in self.documents()} & set(ANSWER_LANGS) - {asked})
        try:
            found = self.services.translations.of(question, langs, llm)
        except LLMError as exc:
            return [], f"the question was not translated ({exc}); searched as asked"
        return [t for t in found.values() if t.strip() and t.strip() != question.strip()], None

    def digest(self, topic: str | None = None, since: datetime | None = None, until: datetime | None = None,
               lang: str = "fr", max_docs: int = 8, kinds: list[str] | None = None) -> Digest:
        """A Markdown brief on a topic (or on what was ingested in the window, by theme), every claim cited."""
        return make_digest(topic=_query(topic) if topic else topic, since=since, until=until, lang=lang,
                           max_docs=max_docs, kinds=kinds,
                           records=self.documents(), chunk_vectors=self.services.store.chunk_vectors,
                           rank_docs=lambda text, ids: self._ranked_docs(text, ids, kinds),
                           embed_query=self._topic_vectors,
                           embed=self.services.embed_texts, floor=self.settings.ask_min_similarity,
                           llm=self.services.llm, cfg=self.settings.digest, link=self.citation_link)

    def citation_link(self, c: Citation) -> str:
        """Where a citation opens away from this process: the reading room's passage page on the server
        VEILLE_PUBLIC_URL names, else the source itself at the quote (veille.anchors)."""
        if self.settings.public_url:
            return absolute(c.anchor.href, self.settings.public_url)
        pdf = f"{self.settings.arxiv_pdf_url.rstrip('/')}/{c.arxiv_id}" if c.arxiv_id else None
        return source_link(c.source, c.page, c.quote, pdf)

    def _topic_vectors(self, topic: str) -> tuple[np.ndarray, np.ndarray]:
        """A topic's vector and the same steered across the archive's languages (glossary, language means)."""
        s = self.services
        return query_vectors(topic, s.queries, s.language_means(), self.settings.retrieval,
                             s.glossary().variants(topic))

    def _ranked_docs(self, topic: str, doc_ids: list[str] | None, kinds: list[str] | None) -> list[tuple[str, float]]:
        """The documents a search on a digest's topic ranks first, with their scores."""
        hits = self.search(topic, k=self.settings.digest.candidates, per_doc=True,
                           filters=SearchFilters(doc_id=doc_ids, kind=kinds))
        return [(h.doc_id, h.score) for h in hits]

    def _checked(self, filters: SearchFilters | None) -> SearchFilters:
        return check_filters(filters or SearchFilters(), self.documents)

    # -- the archive ----------------------------------------------------------------------
    def documents(self) -> list[DocRecord]:
        """Every stored document."""
        return self.services.records.docs()

    def document(self, doc_id: str) -> DocRecord | None:
        """One stored document."""
        return self.services.records.get_doc(doc_id)

    def chunks(self, doc_id: str) -> list[dict[str, Any]]:
        """A document's stored chunks in order."""
        return self.services.records.chunk_payloads(doc_id)

    def remove(self, doc_id_or_path: str) -> DocRecord:
        """Delete a document entirely, by id or by the path it was ingested from."""
        record = self.services.store.get_doc(doc_id_or_path)
        if record is None:
            path = Path(doc_id_or_path)
            wanted = str(path.resolve()) if path.exists() or "/" in doc_id_or_path else doc_id_or_path
            record = next((r for r in self.services.store.docs() if r.source in (wanted, doc_id_or_path)), None)
        if record is None:
            raise VeilleError("no such document (give a document id or the path it was ingested from)",
                              source=doc_id_or_path)
        self.services.store.delete_doc(record.doc_id)
        return record

    def glossary(self, term: str | None = None) -> list[Entry]:
        """The archive's glossary (terms its texts give in two languages, with their counts and documents), or
        the entries naming `term`."""
        found = self.services.glossary()
        return found.lookup(term) if term else found.entries

    def vectors(self, doc_id: str) -> list[tuple[dict[str, Any], list[float]]]:
        """A document's stored chunks in order, each with its dense vector (maps, clustering, notebooks)."""
        return self.services.records.chunk_vectors(doc_id)

    def close(self) -> None:
        """Release the store (the embedded one holds a lock) and the embedding cache."""
        self.services.close()

    def migrate(self, target: Store, batch: int = 256, progress: Callable[[int], None] | None = None) -> int:
        """Copy every chunk (vectors included: nothing is re-embedded) and document record into `target`."""
        return copy_store(self.services.store, target, source_name=str(self.settings.home), batch=batch,
                          progress=progress)

    def stats(self) -> dict[str, Any]:
        """Counts by language and kind, and the embedder in use."""
        docs, s = self.documents(), self.settings
        e = self.services.embedder_info()
        return {
            "documents": len(docs), "chunks": self.services.records.count(),
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
