"""Shared test fixtures: paths to ../shared and small generated inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

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
