"""The stable CLI contract: search / docs / stats / remove, JSON shapes and exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import SAMPLES
from veille.interfaces.cli import cli

HIT_KEYS = {"rank", "score", "doc_id", "chunk_id", "title", "source", "arxiv_id", "lang", "page_start", "role",
            "anchor", "page_end", "section", "text"}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("cli-home")
    env = {"VEILLE_HOME": str(home)}
    result = CliRunner().invoke(cli, ["ingest", str(SAMPLES)], env=env)
    assert result.exit_code == 0, result.output
    return home


def writable(home: Path, tmp_path: Path) -> Path:
    """A copy of the module's knowledge base for a test that changes it: the others read the original."""
    shutil.copytree(home, tmp_path / "home")
    return tmp_path / "home"


def run(home: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={"VEILLE_HOME": str(home)})
    return result.exit_code, result.stdout, result.stderr


def test_search_json_contract(home: Path) -> None:
    code, out, _ = run(home, "search", "cache KV mémoire", "-k", "3", "--json")
    data = json.loads(out)
    assert code == 0 and data["query"] == "cache KV mémoire" and len(data["hits"]) == 3
    assert all(set(h) == HIT_KEYS for h in data["hits"])
    assert [h["rank"] for h in data["hits"]] == [1, 2, 3]
    code, out, _ = run(home, "search", "cache", "--lang", "ko", "--per-doc", "--json", "--mode", "dense")
    hits = json.loads(out)["hits"]
    assert code == 0 and hits and {h["lang"] for h in hits} == {"ko"}


def test_search_queries_file(home: Path, tmp_path: Path) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"_id": "q1", "text": "sparse attention"}\n{"_id": "q2", "text": "distillation"}\n')
    code, out, _ = run(home, "search", "--queries", str(queries), "-k", "2", "--json")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [x["query_id"] for x in lines] == ["q1", "q2"]
    assert lines[0]["hits"][0]["doc_id"] == "sample-rec-1" and lines[1]["hits"][0]["doc_id"] == "sample-rec-2"
    queries.write_text('{"_id": "q1", "text": "sparse attention"}\n{"_id": "q2"}\n{oops\n')
    code, _, err = run(home, "search", "--queries", str(queries), "--json")
    assert code == 1 and f"{queries}:2" in err


def test_docs_stats_remove(home: Path, tmp_path: Path) -> None:
    home = writable(home, tmp_path)
    code, out, _ = run(home, "docs", "--json")
    docs = json.loads(out)["documents"]
    assert code == 0 and len(docs) == 6
    assert set(docs[0]) == {"doc_id", "title", "source", "arxiv_id", "lang", "kind", "pages", "chunks",
                            "ingested_at"}
    code, out, _ = run(home, "stats", "--json")
    stats = json.loads(out)
    assert stats["documents"] == 6 and stats["by_lang"] and stats["embedder"]["dim"] == 384
    code, out, _ = run(home, "remove", "sample-rec-2")
    assert code == 0 and "removed sample-rec-2" in out
    code, _, err = run(home, "remove", "sample-rec-2")
    assert code == 1 and "no such document" in err


@pytest.mark.parametrize(("args", "message"), [
    (["search", "  "], "empty query"),
    (["search", "cache", "-k", "0"], "k must be between 1 and 1000"),
    (["search", "cache", "--kind", "slides"], "unknown source type"),
    (["search", "cache", "--doc", "nope"], "no such document"),
])
def test_bad_search_input(home: Path, args: list[str], message: str) -> None:
    code, _, err = run(home, *args)
    assert code == 1 and message in err


def test_locked_store_names_the_other_process(home: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from veille.index.stores.edge import EdgeStore; "
         f"s = EdgeStore(__import__('pathlib').Path({str(home / 'edge')!r})); "
         "print('ready', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[3])
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        code, _, err = run(home, "search", "cache")
        assert code == 1 and f"in use by process {holder.pid}" in err and "veille serve" in err
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout:
            holder.stdout.close()
    time.sleep(0.2)
    assert run(home, "search", "cache")[0] == 0


def test_ask_prints_titles_and_quotes_whole_wrapped_to_the_terminal(home: Path) -> None:
    question = "Why does the KV cache grow with the context?"
    result = CliRunner().invoke(cli, ["ask", question], env={"VEILLE_HOME": str(home), "COLUMNS": "60"})
    code, out = result.exit_code, result.stdout
    as_json = json.loads(CliRunner().invoke(cli, ["ask", question, "--json"], env={"VEILLE_HOME": str(home)}).stdout)
    assert code == 0 and as_json["citations"]
    assert all(len(line) <= 60 for line in out.splitlines())
    flat = " ".join(out.split())
    for c in as_json["citations"]:
        assert f"« {' '.join(c['quote'].split())} »" in flat and c["title"] in flat
        assert c["anchor"]["href"].startswith("/read/")
