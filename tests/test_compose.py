"""docker-compose.yml must stay valid (no Docker engine here: `docker-compose config` checks it)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.conftest import REPO


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="Debian's docker-compose is not installed")
def test_compose_file_is_valid() -> None:
    out = subprocess.run(["docker-compose", "-f", str(REPO / "docker-compose.yml"), "config"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "condition: service_healthy" in out.stdout and "VEILLE_QDRANT_URL: http://qdrant:6333" in out.stdout
