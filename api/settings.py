"""Veille settings, read from VEILLE_* environment variables (and a .env file)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from veille.digest.settings import DigestSettings
from veille.index.embedding.runtimes import ALIASES, CHOICES
from veille.index.retrieval import RetrievalSettings
from veille.languages import ANSWER_LANGS
from veille.reader.settings import ReaderSettings


class LLMSettings(BaseModel):
    """The optional answer-writing model (VEILLE_LLM__PROVIDER, VEILLE_LLM__BASE_URL...)."""

    provider: Literal["none", "openai-compatible", "ollama"] = Field(
        default="none", description="none (extractive answers), openai-compatible (vLLM, llama.cpp, LM Studio, "
                                    "OpenAI) or ollama.")
    base_url: str | None = Field(default=None, description="The server's URL (required for openai-compatible).")
    model: str | None = Field(default=None, description="The model's name on that server.")
    api_key: str | None = Field(default=None, description="Its API key, if it asks for one.")
    timeout: float = Field(default=60.0, gt=0, description="Seconds before a request is abandoned.")
    retries: int = Field(default=1, ge=0, description="Retries on connection errors and 5xx replies.")
    context_window: int = Field(default=8192, ge=1024, description="Tokens the model accepts.")


class Settings(BaseSettings):
    """Everything configurable; passed down to the stages as plain arguments."""

    model_config = SettingsConfigDict(env_prefix="VEILLE_", env_nested_delimiter="__",
                                      env_file=".env", extra="ignore")

    def __init__(self, **values: Any) -> None:
        # VEILLE_ENV_FILE names another file than ./.env (os.devnull: none), read when Settings are made, so a
        # test run or a service can keep a developer's .env out
        values.setdefault("_env_file", os.environ.get("VEILLE_ENV_FILE", ".env"))
        super().__init__(**values)

    home: Path = Field(default=Path.home() / ".veille", description="Where Veille keeps its data.")
    cache_dir: Path | None = Field(default=None, description="Embedding cache folder (default: HOME/cache).")
    qdrant_url: str | None = Field(default=None, description="Qdrant server; the embedded store if unset.")
    qdrant_api_key: str | None = Field(default=None, description="API key of that server.")
    collection: str = Field(default="veille", description="Prefix of the store's collections (`<prefix>_chunks`, "
                                                          "`<prefix>_docs`).")
    index_after: int = Field(
        default=50_000, ge=0,
        description="An ingest builds the embedded store's search index (HNSW) once this many chunks await it; "
                    "until then they are searched exactly (`veille optimize` builds it at any time).")
    embedding_model: str = Field(default="intfloat/multilingual-e5-small", description="Any sentence-transformers "
                                 "model id or local folder; a store keeps the model it was built with.")
    embedding_runtime: str = Field(
        default="auto", description="What runs the model: " + ", ".join(CHOICES) + ". 'auto' keeps an existing "
                                    "store's runtime and starts a new one on the fastest that keeps quality "
                                    "(onnx-int8 for multilingual-e5-small, torch otherwise); 'sentence-transformers' "
                                    "is 'torch'. See docs/runtimes.md.")
    model_dir: Path | None = Field(default=None, description="Converted models and ONNX exports, shared by every "
                                                            "knowledge base (default: ~/.cache/veille/models).")
    embedding_batch_size: int = Field(default=32, ge=1, description="Texts embedded together at most.")
    chunk_max_tokens: int = Field(default=512, ge=32, description="A chunk's ceiling, in the model's own tokens (its "
                                                                 "window).")
    chunk_target_tokens: int = Field(default=320, ge=16, description="A chunk's preferred size, in tokens.")
    chunk_overlap_tokens: int = Field(default=48, ge=0, description="Sentences carried into the next chunk, in "
                                                                   "tokens.")
    arxiv_delay_seconds: float = Field(default=3.0, ge=0, description="Seconds between two requests to arXiv (its "
                                                                      "terms of use ask for 3).")
    arxiv_timeout: float = Field(default=20.0, gt=0, description="Seconds an arXiv request may take.")
    arxiv_retries: int = Field(default=3, ge=0, description="Retries of a failed arXiv request.")
    ask_min_similarity: float = Field(
        default=0.83, ge=0, le=1,
        description="Cosine to the closest passage under which `ask` says it found nothing (e5-small puts "
                    "questions the archive answers above it, unrelated ones below; BENCHMARKS.md).")
    llm: LLMSettings = Field(default_factory=LLMSettings)
    api_token: str | None = Field(default=None, description="Bearer token required on HTTP writes and ingest "
                                                             "(and sent by the CLI when it ingests through a server).")
    token_on_reads: bool = Field(default=False, description="Require the token on reads too (search, ask, digest, "
                                 "documents, stats, jobs, the watch list); /health stays open for probes.")
    public_url: str | None = Field(default=None, description="Where readers reach `veille serve` (e.g. "
                                   "https://veille.example.org): a Markdown digest then links each [n] to the reading "
                                   "room's passage page; without it, to the PDF's page or the web page's text.")
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
    arxiv_api_url: str = Field(default="https://export.arxiv.org/api/query", description="arXiv's search API "
                               "(the query string is added).")
    arxiv_pdf_url: str = Field(default="https://arxiv.org/pdf", description="Where papers' PDFs are downloaded "
                                                                           "from (`/<id>` is added).")
    digest_dir: Path | None = Field(default=None, description="Where the watch writes its morning digests "
                                                              "(default: HOME/digests).")
    watch_tick_seconds: float = Field(default=60.0, ge=0, description="How often `veille serve` looks for due "
                                                                      "subscriptions (0: never).")
    digest_lang: str = Field(default="fr", description="Language of the morning digest (one Veille writes in: "
                                                       + ", ".join(sorted(ANSWER_LANGS)) + ").")
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings, description="How searches fuse their "
                                         "two sides and reach across languages (VEILLE_RETRIEVAL__<FIELD>).")
    reader: ReaderSettings = Field(default_factory=ReaderSettings, description="How `ask` weighs passages and "
                                                                              "sentences (VEILLE_READER__<FIELD>).")
    digest: DigestSettings = Field(default_factory=DigestSettings, description="How digests choose documents and "
                                                                              "sentences (VEILLE_DIGEST__<FIELD>).")

    @field_validator("digest_lang")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in ANSWER_LANGS:
            raise ValueError(f"Veille writes digests in {', '.join(sorted(ANSWER_LANGS))}, not {value!r}")
        return value

    @field_validator("embedding_runtime")
    @classmethod
    def _known_runtime(cls, value: str) -> str:
        if value not in CHOICES and value not in ALIASES:
            raise ValueError(f"unknown embedding runtime {value!r}; expected one of {', '.join(CHOICES)}")
        return value

    @property
    def digests(self) -> Path:
        """The morning digests' folder."""
        return self.digest_dir or self.home / "digests"

    @property
    def arxiv_dir(self) -> Path:
        """Local arXiv metadata and PDF store."""
        return self.home / "arxiv"


def reference() -> str:
    """Every setting as Markdown tables (docs/settings.md is this text; a test keeps them equal)."""
    lines = ["# Settings", "",
             "Veille reads `VEILLE_*` environment variables (and a `.env` file in the working folder, or the",
             "file `VEILLE_ENV_FILE` names; `VEILLE_ENV_FILE=/dev/null` reads none).",
             "Nested groups take a double underscore: `VEILLE_READER__POOL=32`. This page is generated from",
             "`veille.settings` (`python -m scripts.write_settings_reference`).", ""]
    lines += _table("General", Settings, "VEILLE_")
    for name, info in Settings.model_fields.items():
        group = info.annotation
        if isinstance(group, type) and issubclass(group, BaseModel):
            lines += _table(f"`{name}`: {info.description or group.__doc__}", group, f"VEILLE_{name.upper()}__")
    return "\n".join(lines).rstrip() + "\n"


def _table(title: str, model: type[BaseModel], prefix: str) -> list[str]:
    rows = [f"## {title}", "", "| variable | default | meaning |", "|---|---|---|"]
    for name, info in model.model_fields.items():
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            continue
        default = info.get_default(call_default_factory=True)
        shown = "unset" if default is None else f"`{str(default).replace(str(Path.home()), '~')}`"
        meaning = (info.description or "").replace("|", "\\|")
        rows.append(f"| `{prefix}{name.upper()}` | {shown} | {meaning} |")
    return [*rows, ""]
