"""The KnowledgeBase facade shared by the CLI, the HTTP API and notebooks."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from api.ingesting import IngestItem, IngestReport, Sink, Status, discovered, load_arxiv, load_files, process
from api.settings import Settings
from ingest.arxiv_source import ArxivFetcher, ArxivStore
from ingest.chunking import ChunkingOptions, TokenCounter
from ingest.models import Chunk, Document
from ingest.sources import Loaded

Progress = Callable[[IngestItem], None]


def _dry_sink(doc: Document, chunks: list[Chunk]) -> Status:
    return "dry-run"


class KnowledgeBase:
    """Open a Veille knowledge base: `kb = KnowledgeBase()` reads VEILLE_* settings."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.arxiv_store = ArxivStore(self.settings.arxiv_dir)

    @property
    def chunking(self) -> ChunkingOptions:
        """Chunking options from the settings."""
        s = self.settings
        return ChunkingOptions(max_tokens=s.chunk_max_tokens, target_tokens=s.chunk_target_tokens,
                               overlap_tokens=s.chunk_overlap_tokens)

    def token_counter(self) -> TokenCounter | None:
        """The tokenizer used to size chunks (None: the built-in estimate)."""
        return None

    def arxiv_fetcher(self, **overrides: object) -> ArxivFetcher:
        """An arXiv client configured from the settings."""
        s = self.settings
        kwargs: dict = {"timeout": s.arxiv_timeout, "delay_seconds": s.arxiv_delay_seconds,
                        "retries": s.arxiv_retries, **overrides}
        return ArxivFetcher(self.arxiv_store, **kwargs)

    def _run(self, loaded: Iterable[Loaded], sink: Sink, report: IngestReport,
             progress: Progress | None) -> IngestReport:
        count = self.token_counter()
        for item in loaded:
            result = process(item, sink, self.chunking, count)
            report.items.append(result)
            if progress:
                progress(result)
        return report

    def ingest(self, paths: Iterable[Path | str], *, dry_run: bool = False,
               progress: Progress | None = None) -> IngestReport:
        """Ingest files and folders (PDF, notes, JSONL). Failures are reported, never raised."""
        found, items = discovered(Path(p) for p in paths)
        report = IngestReport(items=items)
        sink = _dry_sink if dry_run else self._store_sink()
        return self._run(load_files(found.files, self.arxiv_store.get), sink, report, progress)

    def ingest_arxiv(self, *, ids: list[str] | None = None, query: str | None = None,
                     category: str | None = None, days: int = 1, max_results: int = 50,
                     dry_run: bool = False, fetcher: ArxivFetcher | None = None,
                     progress: Progress | None = None) -> IngestReport:
        """Fetch papers from arXiv (ids, a query, or a category window) and ingest them."""
        loaded: Iterator[Loaded] = load_arxiv(fetcher or self.arxiv_fetcher(), ids=ids, query=query,
                                              category=category, days=days, max_results=max_results)
        sink = _dry_sink if dry_run else self._store_sink()
        return self._run(loaded, sink, IngestReport(), progress)

    def _store_sink(self) -> Sink:
        return _dry_sink
