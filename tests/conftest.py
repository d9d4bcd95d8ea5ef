"""Shared test fixtures: paths to ../shared and small generated inputs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from veille.kb import KnowledgeBase
from veille.settings import Settings

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SAMPLES = REPO / "samples"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, skipping the test when the data is not beside the repo."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available (../shared must sit beside the repo)")
    return path


@pytest.fixture
def papers_dir() -> Path:
    return shared_path("corpus", "papers")


@pytest.fixture
def notes_dir() -> Path:
    return shared_path("corpus", "notes")


@pytest.fixture
def arxiv_fixtures() -> Path:
    return shared_path("fixtures", "arxiv-api", "xml")


def make_settings(home: Path, **overrides: object) -> Settings:
    """Settings for a throwaway knowledge base whose embedding cache survives test runs."""
    cache = Path(os.environ.get("VEILLE_TEST_CACHE", Path.home() / ".cache" / "veille-tests"))
    return Settings(home=home, cache_dir=cache, **overrides)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def corpus_kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeBase]:
    """The whole ../shared/corpus ingested once with the default embedder (minutes on a cold cache)."""
    corpus = shared_path("corpus")
    kb = KnowledgeBase(make_settings(tmp_path_factory.mktemp("corpus-kb")))
    report = kb.ingest([corpus])
    assert report.documents == 17 and not report.failed, report.failed
    yield kb
    kb.close()


def open_samples_kb(root: Path, extra: dict[str, str] | None = None, **overrides: object) -> KnowledgeBase:
    """A knowledge base under `root` holding a copy of samples/ (default embedder, shared cache), plus the
    `extra` files (path under samples/ → text) written before the ingest."""
    import shutil
    shutil.copytree(SAMPLES, root / "samples")
    for name, text in (extra or {}).items():
        (root / "samples" / name).write_text(text, encoding="utf-8")
    kb = KnowledgeBase(make_settings(root / "home", **overrides))
    assert kb.ingest([root / "samples"]).ok
    return kb
