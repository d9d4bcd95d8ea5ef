"""Shared test fixtures: paths to ../shared and small generated inputs, and a hermetic run.

The suite leaves the machine's settings out: every `VEILLE_*` variable is dropped and no `.env` is read
(VEILLE_ENV_FILE is the null device) before a test module is imported; the default home and the embedding
cache live in this run's temporary folder (the converted model stays in ~/.cache/veille/models, which the
setup prepares); no socket reaches beyond loopback (pytest-socket, pyproject.toml); the Hugging Face libraries
are told to stay offline. Tests that need a setting set it themselves.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from veille.kb import KnowledgeBase
from veille.settings import Settings

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SAMPLES = REPO / "samples"


RUN_DIR = Path(tempfile.mkdtemp(prefix="veille-tests-"))  # this run's homes and embedding cache
TEST_CACHE = RUN_DIR / "embedding-cache"


def pytest_configure(config: pytest.Config) -> None:
    """Drop the machine's Veille settings before any test module reads them."""
    for name in [n for n in os.environ if n.startswith("VEILLE_")]:
        del os.environ[name]
    os.environ |= {"VEILLE_ENV_FILE": os.devnull, "VEILLE_HOME": str(RUN_DIR / "default-home"),
                   "VEILLE_CACHE_DIR": str(TEST_CACHE), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    if not SHARED.is_dir():
        raise pytest.UsageError(f"{SHARED} is missing: the tests read ../shared, which must sit beside the repo")


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(RUN_DIR, ignore_errors=True)


def shared_path(*parts: str) -> Path:
    """A path under ../shared; the test fails when it is missing (the data must sit beside the repo)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"{path} is missing (../shared must sit beside the repo)")
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
    """Settings for a throwaway knowledge base sharing this run's embedding cache."""
    return Settings(home=home, cache_dir=TEST_CACHE, **overrides)  # type: ignore[arg-type]


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
    shutil.copytree(SAMPLES, root / "samples")
    for name, text in (extra or {}).items():
        (root / "samples" / name).write_text(text, encoding="utf-8")
    kb = KnowledgeBase(make_settings(root / "home", **overrides))
    assert kb.ingest([root / "samples"]).ok
    return kb
