from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import SAMPLES
from veille.interfaces.cli import cli
from veille.interfaces.cli.exit_codes import EXIT_OK, EXIT_PARTIAL


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VEILLE_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_dry_run_on_samples() -> None:
    result = CliRunner().invoke(cli, ["ingest", str(SAMPLES), "--dry-run", "--json"])
    assert result.exit_code == EXIT_OK, result.output
    report = json.loads(result.stdout)
    langs = {i["lang"] for i in report["items"] if i["status"] == "dry-run"}
    assert report["documents"] == 6 and {"en", "fr", "ko"} <= langs


@pytest.mark.slow
def test_dry_run_on_the_shared_corpus(papers_dir: Path) -> None:
    corpus = papers_dir.parent
    result = CliRunner().invoke(cli, ["ingest", str(corpus), "--dry-run", "--json"])
    assert result.exit_code == EXIT_OK, result.output
    items = [i for i in json.loads(result.stdout)["items"] if i["status"] == "dry-run"]
    papers = [i for i in items if i["kind"] == "paper"]
    notes = {Path(i["source"]).name: i["lang"] for i in items if i["kind"] == "note"}
    assert len(papers) == 12 and all(i["pages"] and i["chunks"] for i in papers)
    assert sum(1 for i in papers if i["doc_id"].startswith("arxiv:")) == 11
    assert notes == {"google-ouvre-le-capot-des-llms.md": "fr", "q-filters-compression-cache-kv.txt": "fr",
                     "state-of-ai-2024-notes.md": "fr", "tech-digest-2025-06-06.md": "fr",
                     "hf-daily-papers-2024-06-19.md": "ko"}


def test_partial_failure_names_each_bad_input(tmp_path: Path) -> None:
    (tmp_path / "bad.pdf").write_bytes(b"not a pdf")
    (tmp_path / "good.md").write_text("# Good\n\nA perfectly fine note about attention.\n")
    (tmp_path / "data.xyz").write_text("?")
    (tmp_path / "lines.jsonl").write_text('{"_id": "r1", "text": "fine record text"}\n{broken\n')
    result = CliRunner().invoke(cli, ["ingest", str(tmp_path), str(tmp_path / "missing.md"), "--dry-run"])
    assert result.exit_code == EXIT_PARTIAL
    err = result.stderr
    assert "would store: 2 documents" in err
    assert f"failed: {tmp_path / 'bad.pdf'}: not a readable PDF" in err
    assert f"failed: {tmp_path / 'lines.jsonl'}:2: malformed JSON" in err
    assert f"skipped: {tmp_path / 'data.xyz'}: unsupported format" in err
    assert "failed: " + str(tmp_path / "missing.md") + ": no such file or folder" in err


def test_explicit_unknown_format_fails(tmp_path: Path) -> None:
    path = tmp_path / "slides.pptx"
    path.write_bytes(b"PK")
    result = CliRunner().invoke(cli, ["ingest", str(path), "--dry-run"])
    assert result.exit_code == 1 and "unsupported format '.pptx'" in result.stderr


def test_arxiv_offline_is_a_clear_failure() -> None:
    result = CliRunner().invoke(cli, ["ingest", "arxiv", "1706.03762", "--dry-run"])
    assert result.exit_code == 1
    assert "network unreachable" in result.stderr


def test_a_file_name_that_is_not_utf8_goes_in_under_a_readable_name(tmp_path: Path) -> None:
    import os

    folder = tmp_path / "notes"
    folder.mkdir()
    bad = Path(os.fsdecode(bytes(folder) + b"/note-\xff.md"))
    bad.write_text("# Caches\n\nA note about the KV cache, saved under a Latin-1 file name.\n", encoding="utf-8")
    Path(os.fsdecode(bytes(folder) + b"/odd-\xfe.xyz")).write_text("not a note", encoding="utf-8")
    runner = CliRunner()
    first = runner.invoke(cli, ["ingest", str(folder), "--json"])
    report = json.loads(first.stdout_bytes.decode("utf-8"))  # the report itself is valid UTF-8
    assert first.exit_code == EXIT_OK, first.output
    by_status = {i["status"]: i["source"] for i in report["items"]}
    assert by_status["added"].endswith("note-\\xff.md") and by_status["skipped"].endswith("odd-\\xfe.xyz")
    again = json.loads(runner.invoke(cli, ["ingest", str(folder), "--json"]).stdout_bytes.decode("utf-8"))
    assert [i["status"] for i in again["items"] if i["source"].endswith(".md")] == ["unchanged"]
