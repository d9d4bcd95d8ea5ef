"""The notebooks run top to bottom on the shipped samples (so they never rot)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import REPO, SAMPLES

pytestmark = [pytest.mark.slow, pytest.mark.integration]


@pytest.mark.parametrize("name", ["01-explore.ipynb", "02-map.ipynb", "03-digest.ipynb"])
def test_notebook_runs(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VEILLE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("VEILLE_SAMPLES", str(SAMPLES))
    nb = nbformat.read(REPO / "notebooks" / name, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")  # stripped in git
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    if name == "02-map.ipynb":
        assert (tmp_path / "map.png").stat().st_size > 10_000
