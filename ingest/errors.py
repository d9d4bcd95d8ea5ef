"""Veille's exception tree.

Every error names the input it is about (a file, a line, an id, a query) so the CLI and
HTTP layers can report it without a stack trace. Only those layers turn these into exit
or status codes.
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
