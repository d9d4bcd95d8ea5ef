"""The HTTP API: every endpoint, auth, uploads, jobs, errors; streaming and concurrency on real uvicorn."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from tests.conftest import SAMPLES, make_settings
from veille.index.embedding.fake import FakeEmbedder
from veille.index.stores.edge import EdgeStore
from veille.interfaces.http.app import create_app
from veille.kb import KnowledgeBase

TOKEN = {"Authorization": "Bearer s3cret"}


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeBase]:
    root = tmp_path_factory.mktemp("server")
    shutil.copytree(SAMPLES, root / "samples")
    kb = KnowledgeBase(make_settings(root / "home", api_token="s3cret", max_upload_mb=1))
    assert kb.ingest([root / "samples" / "notes"]).ok
    yield kb
    kb.close()


@pytest.fixture(scope="module")
def client(kb: KnowledgeBase) -> Iterator[TestClient]:
    with TestClient(create_app(kb), raise_server_exceptions=False) as c:
        yield c


def _wait(client: Any, job_id: str) -> dict[str, Any]:
    for _ in range(600):
        job = client.get(f"/jobs/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError("job did not finish")


def test_health_stats_and_documents(client: TestClient, kb: KnowledgeBase) -> None:
    stored = kb.documents()  # the three sample notes, and what other tests of this module uploaded
    assert client.get("/health").json()["status"] == "ok"
    assert len(stored) >= 3 and client.get("/stats").json()["documents"] == len(stored)
    page = client.get("/documents", params={"limit": 2}).json()
    assert page["total"] == len(stored) and len(page["documents"]) == 2
    assert client.get("/documents", params={"lang": "ko"}).json()["total"] == sum(d.lang == "ko" for d in stored) >= 1
    doc_id = page["documents"][0]["doc_id"]
    one = client.get(f"/documents/{doc_id}").json()
    assert one["document"]["doc_id"] == doc_id and one["chunks"] and one["link"]
    missing = client.get("/documents/note:nope")
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "NotFoundError"


def test_a_lone_surrogate_in_a_query_is_not_a_server_error(client: TestClient) -> None:
    body = '{"query": "cache KV \\ud800", "k": 2}'  # valid JSON, not valid Unicode
    r = client.post("/search", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and r.json()["hits"]


def test_search_ask_digest(client: TestClient) -> None:
    hits = client.post("/search", json={"query": "cache KV", "k": 3}).json()["hits"]
    assert len(hits) == 3 and {"doc_id", "chunk_id", "text", "page_start", "section"} <= set(hits[0])
    answer = client.post("/ask", json={"question": "Combien de bits utilise la quantification du cache KV ?"}).json()
    assert answer["found"] and answer["citations"][0]["quote"]
    digest = client.post("/digest", json={"topic": "KV cache", "lang": "en"}).json()
    assert digest["markdown"].startswith("# Digest: KV cache") and digest["citations"]
    md = client.get("/digest", params={"topic": "KV cache", "lang": "fr"})
    assert md.headers["content-type"].startswith("text/markdown") and md.text.startswith("# Digest : KV cache")


def test_the_glossary_and_roles(client: TestClient) -> None:
    entries = client.get("/glossary").json()["entries"]
    assert isinstance(entries, list) and all({"term", "gloss", "count", "doc_ids"} <= set(e) for e in entries)
    assert client.get("/glossary", params={"term": "apple pie"}).json() == {"entries": []}
    hits = client.post("/search", json={"query": "cache KV", "k": 5}).json()["hits"]
    assert hits and {h["role"] for h in hits} == {"body"}
    asked = client.post("/search", json={"query": "cache KV", "k": 5, "filters": {"roles": ["references"]}})
    assert asked.status_code == 200 and all(h["role"] == "references" for h in asked.json()["hits"])


@pytest.mark.parametrize("path, body, status, kind", [
    ("/search", {"query": "  "}, 400, "QueryError"),
    ("/search", {"query": "cache " * 1000}, 400, "QueryError"),
    ("/ask", {"question": "cache " * 1000}, 400, "QueryError"),
    ("/search", {"query": "x", "k": 0}, 422, "ValidationError"),
    ("/ask", {"question": ""}, 400, "QueryError"),
    ("/digest", {"topic": "recette de pizza napolitaine au feu de bois"}, 404, "NotFoundError"),
    ("/search", {"query": "x", "filters": {"kind": ["poem"]}}, 400, "QueryError"),
    ("/search", {"query": "x", "filters": {"roles": ["abstract"]}}, 400, "QueryError"),
    ("/search", {"query": "x", "filters": {"roles": []}}, 400, "QueryError"),
])
def test_errors_have_one_shape(client: TestClient, path: str, body: dict, status: int, kind: str) -> None:
    r = client.post(path, json=body)
    assert r.status_code == status and r.json()["error"]["type"] == kind and "Traceback" not in r.text


def test_writes_need_the_token(client: TestClient) -> None:
    assert client.delete("/documents/note:x").status_code == 401
    assert client.post("/ingest/arxiv", json={"ids": ["1706.03762"]}).status_code == 401
    wrong = client.post("/ingest/upload", files={"files": ("a.md", b"# A")}, headers={"Authorization": "Bearer no"})
    assert wrong.status_code == 401 and wrong.json()["error"]["message"] == "missing or wrong bearer token"


def test_upload_job_ingests_and_reports_per_item_errors(client: TestClient, kb: KnowledgeBase) -> None:
    files = [("files", ("../../etc/evil.md", b"# Evil path\n\nThis note tries to escape the upload folder.")),
             ("files", ("broken.pdf", b"%PDF-1.4 not really a pdf")),
             ("files", ("records.jsonl", (SAMPLES / "records.jsonl").read_bytes()))]
    r = client.post("/ingest/upload", files=files, headers=TOKEN)
    assert r.status_code == 202
    job = _wait(client, r.json()["id"])
    assert job["status"] == "done" and job["counts"] == {"added": 3, "failed": 1}
    failed = [i for i in job["items"] if i["status"] == "failed"]
    assert failed[0]["source"].endswith("broken.pdf") and failed[0]["reason"]
    assert all(Path(i["source"]).resolve().is_relative_to(kb.settings.home.resolve()) for i in job["items"]
               if not i["source"].count(":") > 1)
    assert not (kb.settings.home.parent / "etc").exists()


def test_upload_refusals(client: TestClient) -> None:
    r = client.post("/ingest/upload", files={"files": ("tool.exe", b"MZ")}, headers=TOKEN)
    assert r.status_code == 400 and "file type not allowed" in r.json()["error"]["message"]
    big = client.post("/ingest/upload", files={"files": ("big.txt", b"a" * (1024 * 1024 + 10))}, headers=TOKEN)
    assert big.status_code == 413
    assert client.get("/jobs/nope").status_code == 404


def test_failing_arxiv_job_and_delete(client: TestClient, kb: KnowledgeBase) -> None:
    r = client.post("/ingest/arxiv", json={"ids": ["1706.03762"]}, headers=TOKEN)
    job = _wait(client, r.json()["id"])  # offline: the item fails with a clear reason, the job completes
    assert job["status"] == "done" and job["counts"] == {"failed": 1}
    assert "offline" in job["items"][0]["reason"] or "network" in job["items"][0]["reason"].lower()
    assert client.post("/ingest/arxiv", json={}, headers=TOKEN).status_code == 400
    doc_id = next(d.doc_id for d in kb.documents() if d.lang == "ko")
    assert client.delete(f"/documents/{doc_id}", headers=TOKEN).json()["deleted"] == doc_id
    assert client.get(f"/documents/{doc_id}").status_code == 404


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live(kb: KnowledgeBase) -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(kb), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            httpx.get(base + "/health", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.05)
    else:
        raise AssertionError(f"the server on {base} never answered /health")
    yield base
    server.should_exit = True
    thread.join(10)


def test_streaming_answer_over_loopback(live: str) -> None:
    body = {"question": "Combien de bits utilise la quantification du cache KV ?", "stream": True}
    with httpx.stream("POST", live + "/ask", json=body, timeout=60) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        events = [block for block in r.read().decode().split("\n\n") if block.strip()]
    kinds = [e.split("\n")[0] for e in events]
    assert kinds[-1] == "event: answer" and "event: token" in kinds
    final = json.loads(events[-1].split("data: ", 1)[1])
    tokens = "".join(json.loads(e.split("data: ", 1)[1]) for e in events[:-1])
    assert final["found"] and tokens == final["answer"]


def test_a_client_dropping_a_stream_does_not_keep_the_lock(live: str) -> None:
    host, port = live.removeprefix("http://").split(":")
    body = json.dumps({"question": "Combien de bits utilise la quantification du cache KV ?", "stream": True})
    for _ in range(3):
        with socket.create_connection((host, int(port))) as sock:  # ask, then hang up without reading
            sock.sendall(f"POST /ask HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                         f"Content-Length: {len(body.encode())}\r\n\r\n{body}".encode())
    r = httpx.post(live + "/search", json={"query": "cache KV", "k": 2}, timeout=30)
    assert r.status_code == 200 and r.json()["hits"]


def test_reads_are_served_while_a_write_holds_the_lock(client: TestClient) -> None:
    client.get("/health")  # the first use opens the store under the lock
    service = client.app.state.service  # type: ignore[attr-defined]
    answers: list[int] = []

    def read() -> None:
        for path in ("/health", "/stats", "/documents"):
            answers.append(client.get(path).status_code)
        answers.append(client.post("/search", json={"query": "cache KV", "k": 3}).status_code)
        answers.append(client.post("/ask", json={"question": "Qu'est-ce que le cache KV ?"}).status_code)
        answers.append(client.get("/digest", params={"topic": "cache KV", "max_docs": 2}).status_code)

    with service.lock:  # an ingest's writes, a delete, a watch run
        reader = threading.Thread(target=read)
        reader.start()
        reader.join(120)
        assert not reader.is_alive() and answers == [200] * 6


def test_a_store_that_cannot_read_beside_a_writer_makes_reads_wait(tmp_path: Path) -> None:
    from veille.index.stores.in_memory import MemoryStore

    kb = KnowledgeBase(make_settings(tmp_path / "home"), embedder=FakeEmbedder(), store=MemoryStore())
    with TestClient(create_app(kb)) as c:
        c.get("/health")
        service = c.app.state.service  # type: ignore[attr-defined]
        service.lock = service._readers = _WatchedLock()
        codes: list[int] = []
        with service.lock:
            reader = threading.Thread(target=lambda: codes.append(c.post("/search", json={"query": "kv"}).status_code))
            reader.start()
            assert service.lock.waiting.wait(60), "the search never asked for the lock"
            assert not codes  # it waits for the write to end
        reader.join(60)
        assert not reader.is_alive() and codes == [200]


class _WatchedLock:
    """A lock that tells when a second thread asks for it while it is held."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.waiting = threading.Event()

    def acquire(self) -> bool:
        if not self._lock.acquire(blocking=False):
            self.waiting.set()
            self._lock.acquire()
        return True

    def release(self) -> None:
        self._lock.release()

    def __enter__(self) -> _WatchedLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def test_fifty_parallel_searches(live: str) -> None:
    queries = ["cache KV", "검색 증강 생성", "mixture of experts routing", "distillation température"] * 13

    def one(q: str) -> int:
        return httpx.post(live + "/search", json={"query": q, "k": 5}, timeout=120).status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        codes = list(pool.map(one, queries[:50]))
    assert codes == [200] * 50


class _WatchedStore(EdgeStore):
    """An Edge store that records whether the server's lock was held while its index was built."""

    server_lock: threading.Lock | None = None
    held: list[bool] = []  # noqa: RUF012 (one test's record)

    def optimize(self) -> bool:
        assert self.server_lock is not None
        free = self.server_lock.acquire(blocking=False)
        if free:
            self.server_lock.release()
        self.held.append(not free)
        return super().optimize()


def test_ingest_jobs_build_the_index_outside_the_lock(tmp_path: Path) -> None:
    shutil.copytree(SAMPLES / "notes", tmp_path / "notes")
    store = _WatchedStore(tmp_path / "edge")
    kb = KnowledgeBase(make_settings(tmp_path / "home", index_after=0), embedder=FakeEmbedder(), store=store)
    app = create_app(kb)
    store.server_lock = app.state.service.lock
    with TestClient(app) as c:
        files = [("files", (p.name, p.read_bytes())) for p in sorted((tmp_path / "notes").rglob("*")) if p.is_file()]
        job = _wait(c, c.post("/ingest/upload", files=files).json()["id"])
        assert job["status"] == "done" and store.held == [False]  # readers were free to search meanwhile
        assert c.get("/stats").json()["documents"] == 3


def test_reads_can_require_the_token(tmp_path: Path) -> None:
    kb = KnowledgeBase(make_settings(tmp_path / "home", api_token="s3cret", token_on_reads=True),
                       embedder=FakeEmbedder())
    with TestClient(create_app(kb)) as c:
        assert c.get("/health").status_code == 200  # probes stay open
        for method, path, body in [("GET", "/stats", None), ("GET", "/documents", None), ("GET", "/watch", None),
                                   ("POST", "/search", {"query": "kv"}), ("POST", "/ask", {"question": "kv ?"}),
                                   ("GET", "/digest", None), ("GET", "/jobs/nope", None)]:
            assert c.request(method, path, json=body).status_code == 401, path
            assert c.request(method, path, json=body, headers=TOKEN).status_code in (200, 404), path
