"""Veille: a multilingual knowledge base for people who follow AI research.

    from veille import KnowledgeBase
    with KnowledgeBase() as kb:
        kb.ingest(["notes/"])
        answer = kb.ask("Which benchmark left GPT-4o below 40%?")

The package's rooms (docs/layout.md): `veille.ingest` (sources → documents → chunks), `veille.index`
(embeddings, keyword vectors, stores, retrieval), `veille.reader` (questions → cited answers),
`veille.digest` (topics → cited briefs), `veille.watch` (subscriptions, runs, the morning brief),
`veille.interfaces` (CLI, HTTP), and on top the facade (`veille.kb`), its services, the ingest pipeline,
evaluation and settings; `veille.errors` and `veille.languages` are shared by all.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from veille.kb import KnowledgeBase
    from veille.settings import Settings

__all__ = ["KnowledgeBase", "Settings", "__version__"]

try:
    __version__ = version("veille")
except PackageNotFoundError:  # a source tree that is not installed
    __version__ = "dev"

# Loaded on first use: `import veille.ingest` (or `veille --help`) must not pull in models and stores.
_LAZY = {"KnowledgeBase": "veille.kb", "Settings": "veille.settings"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'veille' has no attribute {name!r}")
