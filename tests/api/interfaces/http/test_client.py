"""`veille ingest` while `veille serve` holds the store: found through HOME/server.json, sent as
upload jobs, same report and exit codes, same document ids as a local ingest."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from tests.conftest import SAMPLES, make_settings
from veille.errors import StoreError
from veille.interfaces.cli import cli
from veille.interfaces.cli.exit_codes import EXIT_ERROR, EXIT_OK, EXIT_PARTIAL
from veille.interfaces.http.client import SERVER_FILE, advertise, find_server, local_url
from veille.kb import KnowledgeBase
from veille.settings import Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A real `veille serve` process on loopback; yields the environment a CLI user of its home has."""
    root = tmp_path_factory.mktemp("served")
    shutil.copytree(SAMPLES, root / "samples")
    (root / "samples" / "notes" / "broken.pdf").write_bytes(b"%PDF-1.4 not a pdf")
    env = {"VEILLE_HOME": str(root / "home"), "VEILLE_CACHE_DIR": str(make_settings(root).cache_dir),
           "VEILLE_API_TOKEN": "s3cret", "VEILLE_FETCH_ALLOW_PRIVATE": "true", "VEILLE_FETCH_HOST_DELAY": "0"}
    port, log = _free_port(), root / "serve.log"
    with log.open("w") as out:  # a file, not a pipe: the server's log must never block it
        proc = subprocess.Popen([sys.executable, "-c", "from veille.interfaces.cli import main; main()", "serve",
                                 "--port", str(port)], env=os.environ | env, stdout=out, stderr=out)
    marker = root / "home" / SERVER_FILE
    for _ in range(600):
        if proc.poll() is not None:
            raise AssertionError(f"veille serve exited: {log.read_text()}")
        try:
            if marker.exists() and requests.get(local_url("127.0.0.1", port) + "/health", timeout=30).ok:
                break
        except requests.ConnectionError:
            pass  # advertised just before uvicorn binds the port
        time.sleep(0.1)
    else:
        proc.kill()
        raise AssertionError(f"veille serve never answered /health: {log.read_text()}")
    yield env | {"root": str(root), "url": local_url("127.0.0.1", port)}
    proc.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown; the advertisement goes with it
    proc.wait(30)
    assert not marker.exists()


@pytest.fixture
def user_env(served: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for key in ("VEILLE_HOME", "VEILLE_CACHE_DIR", "VEILLE_API_TOKEN"):
        monkeypatch.setenv(key, served[key])
    return served


def _ingest(*args: str) -> tuple[int, dict, str]:
    result = CliRunner().invoke(cli, ["ingest", *args, "--json"])
    return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else {}, result.stderr


def _docs(url: str) -> list[dict]:
    return requests.get(url + "/documents", params={"limit": 500}, timeout=30).json()["documents"]  # type: ignore[no-any-return]


@pytest.mark.integration
def test_ingest_goes_through_the_running_server(user_env: dict[str, str]) -> None:
    samples = Path(user_env["root"]) / "samples"
    code, report, err = _ingest(str(samples / "notes"), str(samples / "records.jsonl"), str(samples / "nope.md"))
    assert f"ingesting through {user_env['url']}" in err
    assert code == EXIT_PARTIAL  # the broken PDF and the missing path fail; the rest went in
    failed = {Path(i["source"]).name: i["reason"] for i in report["items"] if i["status"] == "failed"}
    assert set(failed) == {"broken.pdf", "nope.md"} and "no such file" in failed["nope.md"]
    assert str(samples / "notes") in next(i["source"] for i in report["items"] if i["status"] == "failed"
                                          and i["source"].endswith("broken.pdf"))  # named as the user knows it
    assert report["documents"] == 5 and report["chunks"] > 0
    notes = {d["source"]: d["doc_id"] for d in _docs(user_env["url"])
             if d["kind"] == "note" and not d["source"].startswith("http")}  # web pages: another test's
    assert set(notes) == {str(p.resolve()) for p in (samples / "notes").rglob("*") if p.suffix in (".md", ".txt",
                                                                                                      ".html")}
    # the same ids as a local ingest of the same files would give
    _, dry, _ = _ingest(str(samples / "notes"), "--dry-run")
    assert {i["doc_id"] for i in dry["items"] if i["kind"] == "note"} == set(notes.values())


@pytest.mark.integration
def test_sending_again_adds_nothing(user_env: dict[str, str]) -> None:
    samples = Path(user_env["root"]) / "samples"
    _ingest(str(samples / "notes" / "fr"), str(samples / "records.jsonl"))  # in, whatever ran before
    before = len(_docs(user_env["url"]))
    code, report, _ = _ingest(str(samples / "notes" / "fr"), str(samples / "records.jsonl"))
    assert code == EXIT_OK
    assert {i["status"] for i in report["items"]} == {"unchanged"}
    assert len(_docs(user_env["url"])) == before


@pytest.mark.integration
def test_refusals_and_offline_arxiv_through_the_server(user_env: dict[str, str], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    odd = tmp_path / "tool.exe"
    odd.write_bytes(b"MZ")
    code, report, _ = _ingest(str(odd))
    assert code == EXIT_ERROR and "unsupported format" in report["items"][0]["reason"]
    code, report, _ = _ingest("arxiv", "1706.03762")  # offline: the job runs, the paper fails, named
    assert code == EXIT_ERROR and report["items"][0]["status"] == "failed"
    monkeypatch.setenv("VEILLE_API_TOKEN", "wrong")
    result = CliRunner().invoke(cli, ["ingest", str(Path(user_env["root"]) / "samples" / "records.jsonl")])
    assert result.exit_code == EXIT_ERROR and "VEILLE_API_TOKEN" in result.stderr


@pytest.mark.integration
def test_other_commands_point_at_the_server(user_env: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, ["docs"])
    assert result.exit_code == EXIT_ERROR
    assert "in use by process" in result.stderr and f"answers at {user_env['url']}" in result.stderr


def test_find_server_ignores_stale_advertisements(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    assert find_server(settings) is None
    dead = local_url("127.0.0.1", _free_port())
    with advertise(tmp_path, dead, "abc") as marker:
        assert json.loads(marker.read_text())["pid"] == os.getpid()
        assert find_server(settings) is None  # nobody answers there
    assert not marker.exists()
    (tmp_path / SERVER_FILE).write_text("{not json")
    assert find_server(settings) is None
    with pytest.raises(StoreError, match="no Veille server answers"):
        find_server(Settings(home=tmp_path, server_url=dead))


def test_a_server_for_another_home_is_not_used(user_env: dict[str, str], tmp_path: Path) -> None:
    with advertise(tmp_path, user_env["url"], "another-instance"):
        assert find_server(Settings(home=tmp_path)) is None
    assert find_server(Settings(home=Path(user_env["VEILLE_HOME"]))) == user_env["url"]


def test_local_ingest_after_the_server_sees_the_same_documents(tmp_path: Path) -> None:
    """Uploaded copies keep their origin: a later local ingest finds them unchanged."""
    shutil.copytree(SAMPLES / "notes", tmp_path / "notes")
    note = next((tmp_path / "notes").rglob("*.md"))
    kb = KnowledgeBase(make_settings(tmp_path / "home"))
    try:
        copy = tmp_path / "home" / "uploads" / "x" / note.name
        copy.parent.mkdir(parents=True)
        shutil.copy(note, copy)
        first = kb.ingest([copy], origins={str(copy): str(note.resolve())})
        again = kb.ingest([note])
        assert first.items[0].status == "added" and again.items[0].status == "unchanged"
        assert first.items[0].doc_id == again.items[0].doc_id and len(kb.documents()) == 1
        assert kb.documents()[0].source == str(note.resolve())
    finally:
        kb.close()


@pytest.mark.integration
def test_watch_and_web_pages_go_through_the_running_server(user_env: dict[str, str]) -> None:
    from tests.conftest import shared_path
    from tests.web_fixtures import serve_web

    with serve_web(shared_path("fixtures", "web")) as web:
        page = web.base + "/2025/03/10/q-filters/"
        code, report, err = _ingest(page)
        assert code == EXIT_OK and f"ingesting through {user_env['url']}" in err, err
        assert [(i["status"], i["title"]) for i in report["items"]] == [
            ("added", "Q-Filters : compresser le cache KV sans entraînement")]
        assert CliRunner().invoke(cli, ["watch", "add", "feed", web.base + "/atom.xml"]).exit_code == EXIT_OK
        result = CliRunner().invoke(cli, ["watch", "run"])
        assert result.exit_code == EXIT_OK and "running through" in result.stderr, result.output
        assert Path(result.stdout.strip()).name.startswith("veille-")  # the server wrote the digest
        titles = {d["title"] for d in _docs(user_env["url"])}
        assert "Google ouvre le capot des LLMs" in titles
