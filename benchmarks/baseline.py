"""The comparison baseline: the pipeline a user assembles in an afternoon from LlamaIndex's docs.

SimpleDirectoryReader with its default readers (pypdf, one document per PDF page; plain text for
notes), SentenceSplitter defaults (1024 tokens, 200 overlap), VectorStoreIndex over a
QdrantVectorStore in qdrant-client's local mode, `index.as_retriever(similarity_top_k=k)`.
The embedding model and runtime are Veille's own (wrapped as a llama-index embedding), so that the
comparison measures the pipelines, not the models. Kept out of the package on purpose.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llama_index.core import Document, SimpleDirectoryReader, StorageContext, VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from llama_index.core.node_parser import SentenceSplitter
from llama_index.vector_stores.qdrant import QdrantVectorStore
from pydantic import PrivateAttr
from qdrant_client import QdrantClient

from veille.index.embedding.cache import EmbeddingCache, embed_passages
from veille.index.embedding.embedder import Embedder


class VeilleEmbedding(BaseEmbedding):
    """Veille's embedder (same model, same runtime, e5 prefixes) as a llama-index embedding.

    With a cache, passages already embedded (same text, model and runtime) are read back instead:
    the vectors are identical, so quality and query latency are unchanged. The benchmarks use it
    only where the baseline's ingest time is not what is measured (notes, BEIR subsets).
    """

    _embedder: Any = PrivateAttr()
    _cache: Any = PrivateAttr()

    def __init__(self, embedder: Embedder, cache: EmbeddingCache | None = None, **kwargs: Any) -> None:
        super().__init__(model_name=embedder.model_id, embed_batch_size=32, **kwargs)
        self._embedder = embedder
        self._cache = cache

    def _get_query_embedding(self, query: str) -> Embedding:
        return [float(x) for x in self._embedder.embed_queries([query])[0]]

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._get_text_embeddings([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        cached = self._cache is not None
        vectors = embed_passages(self._embedder, texts, self._cache) if cached else self._embedder.embed_passages(texts)
        return [[float(x) for x in row] for row in vectors]


class Baseline:
    """A VectorStoreIndex on a local Qdrant folder."""

    def __init__(self, folder: Path, embedder: Embedder, collection: str = "baseline",
                 cache: EmbeddingCache | None = None) -> None:
        self.client = QdrantClient(path=str(folder))
        self.collection = collection
        self.store = QdrantVectorStore(client=self.client, collection_name=collection)
        self.embedder = embedder
        self.embed_model = VeilleEmbedding(embedder, cache)

    def use_cache(self, cache: EmbeddingCache | None) -> None:
        """Embed further passages through `cache` (None: embed everything again, as the user's script does)."""
        self._close_cache()
        self.embed_model = VeilleEmbedding(self.embedder, cache)

    def _close_cache(self) -> None:
        if self.embed_model._cache is not None:
            self.embed_model._cache.close()

    def ingest_dir(self, folder: Path) -> int:
        """Read every file under `folder` and index it (what re-running the user's script does)."""
        docs = SimpleDirectoryReader(str(folder), recursive=True).load_data()
        return self._index(docs)

    def ingest_records(self, records: list[dict[str, Any]]) -> int:
        """Index BEIR corpus records (one Document each, its id kept in the metadata)."""
        docs = [Document(text=f"{r.get('title') or ''}\n\n{r['text']}".strip(), metadata={"doc_id": str(r["_id"])},
                         excluded_embed_metadata_keys=["doc_id"], excluded_llm_metadata_keys=["doc_id"])
                for r in records]
        return self._index(docs)

    def _index(self, docs: list[Document]) -> int:
        nodes = SentenceSplitter().get_nodes_from_documents(docs)
        VectorStoreIndex(nodes, storage_context=StorageContext.from_defaults(vector_store=self.store),
                         embed_model=self.embed_model)
        return len(nodes)

    def points(self) -> int:
        """Vectors stored (re-ingesting adds new ones: node ids are random)."""
        return int(self.client.count(self.collection).count)

    def retrieve(self, query: str, k: int = 10, key: str = "file_name") -> list[tuple[str, float]]:
        """The k best documents (by `key` metadata) with their best node's score."""
        index = VectorStoreIndex.from_vector_store(self.store, embed_model=self.embed_model)
        nodes = index.as_retriever(similarity_top_k=max(k * 5, 50)).retrieve(query)
        ranked: dict[str, float] = {}
        for n in nodes:
            name = str(n.node.metadata.get(key, ""))
            if name and name not in ranked:
                ranked[name] = float(n.score or 0.0)
        return list(ranked.items())[:k]

    def close(self) -> None:
        """Release the local store and the embedding cache."""
        self._close_cache()
        self.client.close()
