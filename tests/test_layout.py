"""The package's shape: one `veille` namespace, rooms that import only downwards, no shadowing."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ROOMS = {"ingest": REPO / "ingest", "index": REPO / "index", "api": REPO / "api"}


def _imports(folder: Path) -> dict[str, set[str]]:
    """Module file → the absolute module names it imports."""
    out: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
        out[str(path.relative_to(REPO))] = names
    return out


def test_every_import_of_our_code_goes_through_the_namespace() -> None:
    for room in ROOMS.values():
        for path, names in _imports(room).items():
            bare = {n for n in names if n.split(".")[0] in ROOMS}
            assert not bare, f"{path} imports {bare} outside the veille namespace"


# What each room may not import: the layers above it. The exception tree (veille.errors) and the languages'
# data (veille.languages) are shared by every layer.
ABOVE_INGEST = ("veille.index", "veille.reader", "veille.digest", "veille.watch", "veille.interfaces", "veille.kb",
                "veille.services", "veille.pipeline", "veille.settings", "veille.llm", "qdrant")
ABOVE_INDEX = ("veille.reader", "veille.digest", "veille.watch", "veille.interfaces", "veille.kb", "veille.services",
               "veille.pipeline", "veille.settings", "veille.llm")
ABOVE_ENGINES = ("veille.interfaces", "veille.kb", "veille.services", "veille.watch")


def test_rooms_import_only_downwards() -> None:
    for path, names in _imports(ROOMS["ingest"]).items():
        assert not {n for n in names if n.startswith(ABOVE_INGEST)}, path
    for path, names in _imports(ROOMS["index"]).items():
        assert not {n for n in names if n.startswith(ABOVE_INDEX)}, path
    for engine in ("reader", "digest"):
        for path, names in _imports(REPO / "api" / engine).items():
            assert not {n for n in names if n.startswith(ABOVE_ENGINES)}, path
    for path, names in _imports(REPO / "api" / "languages").items():
        assert not {n for n in names if n.startswith("veille.") and not n.startswith("veille.languages")}, path
    for path, names in {**_imports(ROOMS["ingest"]), **_imports(REPO / "api")}.items():
        assert not {n for n in names if n.startswith("qdrant")}, f"{path}: only veille.index talks to Qdrant"


def test_importing_a_stage_loads_no_facade() -> None:
    code = "import sys, veille.ingest.documents, veille.index.records; print('veille.kb' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.fixture
def decoy_folder(tmp_path: Path) -> Path:
    """A user's project folder whose own `api`, `index` and `ingest` packages would shadow bare names."""
    for name in ROOMS:
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("raise ImportError('the user package was imported')\n")
    return tmp_path


def test_veille_is_not_shadowed_by_the_users_folders(decoy_folder: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(decoy_folder)}
    code = "from veille import KnowledgeBase; import veille.interfaces.cli; print(KnowledgeBase.__module__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=decoy_folder, env=env)
    assert out.returncode == 0 and out.stdout.strip() == "veille.kb", out.stderr
    veille = Path(sys.executable).with_name("veille")
    help_ = subprocess.run([str(veille), "--help"], capture_output=True, text=True, cwd=decoy_folder, env=env)
    assert help_.returncode == 0 and "ingest" in help_.stdout and "ask" in help_.stdout, help_.stderr


@pytest.mark.slow
def test_the_wheel_ships_one_top_level_package(tmp_path: Path) -> None:
    src = tmp_path / "src"  # what the Dockerfile copies, so no build output lands in the work tree
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE", *ROOMS):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(REPO / name, src / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("veille-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        tops = {n.split("/")[0] for n in zf.namelist() if not n.split("/")[0].endswith(".dist-info")}
        names = set(zf.namelist())
    assert tops == {"veille"}
    assert {"veille/kb.py", "veille/errors.py", "veille/ingest/pdf.py", "veille/index/stores/base.py",
            "veille/reader/evidence.py", "veille/digest/build.py", "veille/watch/run.py", "veille/languages/en.toml",
            "veille/interfaces/cli/__init__.py", "veille/interfaces/http/app.py", "veille/py.typed"} <= names
