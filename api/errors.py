"""Veille's exception tree, shared by every layer.

    VeilleError                 anything Veille raises on purpose; names its input (`source`)
    ├── ParseError              an input could not be read or parsed
    │   ├── UnsupportedFormatError
    │   └── EmptyInputError
    ├── NetworkError            a remote service could not be reached
    ├── SourceError             a remote source answered with an error
    ├── EmbeddingError          the embedding model could not be loaded or failed
    ├── StoreError              the vector store is unavailable, locked or incompatible
    ├── QueryError              a search or question is invalid
    │   └── NotFoundError       nothing in the knowledge base matches
    ├── ConfigError             settings are inconsistent or incomplete
    ├── LLMError                the language model failed or returned something unusable
    └── StoppedError            work stopped because the process is shutting down

Every error names the input it is about (a file, a line, an id, a query), so the CLI, the HTTP API and
MCP report it without a stack trace; only they turn errors into exit codes, status codes or tool errors.
"""

from __future__ import annotations


class VeilleError(Exception):
    """Base of every error Veille raises on purpose."""

    def __init__(self, message: str, *, source: str | None = None) -> None:
        self.source = source
        self.message = message
        super().__init__(f"{source}: {message}" if source else message)


class ParseError(VeilleError):
    """An input could not be read or parsed (corrupt PDF, bad encoding, bad JSON line...)."""


class UnsupportedFormatError(ParseError):
    """The input's format is not one Veille ingests."""


class EmptyInputError(ParseError):
    """The input holds no usable text (empty file, image-only PDF...)."""


class NetworkError(VeilleError):
    """A remote service (arXiv, the model hub, an LLM server) could not be reached."""


class SourceError(VeilleError):
    """A remote source answered with an error (bad id, HTTP error feed...)."""


class EmbeddingError(VeilleError):
    """The embedding model could not be loaded or failed on an input."""


class StoreError(VeilleError):
    """The vector store is unavailable, locked or incompatible."""


class QueryError(VeilleError):
    """A search or question is invalid (empty, out-of-range k, unknown filter...)."""


class ConfigError(VeilleError):
    """Settings are inconsistent or incomplete."""


class NotFoundError(QueryError):
    """Nothing in the knowledge base matches (a digest topic, a document id)."""


class LLMError(VeilleError):
    """The language model server failed, timed out or returned something unusable."""


class StoppedError(VeilleError):
    """Work stopped before its end because the process is shutting down (what is stored stays)."""
