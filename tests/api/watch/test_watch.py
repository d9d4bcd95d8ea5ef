"""The watch end to end: subscriptions, runs over loopback fixtures, the morning digest, CLI and HTTP."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymupdf
import pytest
import requests
from click.testing import CliRunner
from fastapi.testclient import TestClient

from tests.conftest import TEST_CACHE, make_settings, shared_path
from tests.ingest.test_web_pages import BOILERPLATE
from tests.web_fixtures import WebFixtures, serve_web
from veille.errors import QueryError
from veille.index.embedding.fake import FakeEmbedder
from veille.interfaces.cli import cli
from veille.interfaces.cli.exit_codes import EXIT_ERROR, EXIT_PARTIAL
from veille.interfaces.http.app import create_app
from veille.interfaces.http.scheduler import Scheduler
from veille.kb import KnowledgeBase
from veille.watch.collector import arxiv_id_of_url
from veille.watch.subscriptions import Subscription, check_schedule, is_due, new_subscription


@pytest.fixture
def web() -> Iterator[WebFixtures]:
    with serve_web(shared_path("fixtures", "web")) as fixtures:
        yield fixtures


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key, value in {"HOME": str(tmp_path / "home"), "CACHE_DIR": str(TEST_CACHE), "FETCH_ALLOW_PRIVATE": "true",
                       "FETCH_HOST_DELAY": "0", "WATCH_TICK_SECONDS": "0"}.items():
        monkeypatch.setenv(f"VEILLE_{key}", value)
    return tmp_path / "home"


def veille(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.integration
def test_a_feed_goes_in_once_and_the_morning_digest_is_written(web: WebFixtures, env: Path) -> None:
    code, out, _ = veille("watch", "add", "feed", web.base + "/rss.xml")
    assert code == 0 and out.startswith("feed-")
    before = datetime.now(UTC)
    code, out, err = veille("watch", "run")
    dead = web.base + "/posts/publications-de-la-semaine-30-2025/"
    assert code == EXIT_PARTIAL and f"failed: {dead}: HTTP 404" in err, err
    digest = Path(out.strip())
    days = {f"veille-{when:%Y-%m-%d}.md" for when in (before, datetime.now(UTC))}  # a run across midnight
    assert digest.parent == env / "digests" and digest.name in days
    text = digest.read_text(encoding="utf-8")
    front = dict(line.split(": ", 1) for line in text.split("---\n")[1].splitlines())
    assert (json.loads(front["collected"]), json.loads(front["analysed"])) == (3, 2)
    assert "kv-cache" in json.loads(front["tags"]) and "Articles collectés :** 3" in text
    assert re.search(r"\[\d+\]", text) and "Q-Filters" in text

    with KnowledgeBase() as kb:
        notes = {d.title: d for d in kb.documents()}
        assert {t: (d.kind, d.lang, f"{d.date:%Y-%m-%d}") for t, d in notes.items()} == {
            "Google ouvre le capot des LLMs": ("note", "fr", "2025-07-25"),
            "Q-Filters : compresser le cache KV sans entraînement": ("note", "fr", "2025-03-10")}
        texts = [c["text"] for d in notes.values() for c in kb.chunks(d.doc_id)]
        assert not [b for b in BOILERPLATE if any(b in t for t in texts)]
        for query in ("How does attention adapt a frozen model at inference?", "KV 캐시를 학습 없이 압축하는 방법"):
            assert kb.search(query, k=3)[0].doc_id in {d.doc_id for d in notes.values()}, query

    code, out, err = veille("watch", "run", "--json")
    report = json.loads(out)
    assert code == 0 and report["counts"]["added"] == 0 and report["runs"][0]["not_modified"]
    assert report["digest_path"] is None
    assert web.seen("/rss.xml")[-1].get("if-none-match")  # the second run asked conditionally
    assert len(list((env / "digests").iterdir())) == 1


@pytest.mark.integration
def test_atom_feed_and_a_page_subscription(web: WebFixtures, tmp_path: Path) -> None:
    with KnowledgeBase(make_settings(tmp_path, fetch_allow_private=True, fetch_host_delay=0)) as kb:
        kb.subscriptions.add(new_subscription("feed", web.base + "/atom.xml"))
        page = web.base + "/2025/03/10/q-filters/"
        kb.subscriptions.add(new_subscription("url", page))
        report = kb.watch(digest=False)
        assert [r.error for r in report.runs] == [None, None] and report.digest_path is None
        assert report.report.count("added") == 2 and report.report.count("unchanged") == 1
        again = kb.watch(digest=False)  # the page answers 304: nothing parsed anew, nothing added
        assert again.report.count("added", "updated") == 0 and web.seen("/2025/03/10/q-filters/")[-1].get(
            "if-none-match")
        assert len(kb.documents()) == 2


def daily_papers(note: Path, count: int) -> list[dict[str, object]]:
    """The documented JSON shape, filled from the shared Korean daily-papers note."""
    text = note.read_text(encoding="utf-8")
    items = []
    for part in text.split("\n### ")[1:count + 1]:
        title, arxiv_id = re.match(r"\[(.+)\]\(https://arxiv\.org/abs/([\d.]+)\)", part).groups()  # type: ignore[union-attr]
        votes = int(re.search(r"Vote: (\d+)", part)[1])  # type: ignore[index]
        authors = re.search(r"Authors: (.+)", part)[1].split(", ")  # type: ignore[index]
        new = re.search(r"\*\*What's New\*\*: (.+)", part)[1]  # type: ignore[index]
        items.append({"paper": {"id": arxiv_id, "title": title, "summary": new, "upvotes": votes,
                                "authors": [{"name": a} for a in authors], "publishedAt": "2024-06-18T00:00:00.000Z"},
                      "title": title, "publishedAt": "2024-06-19T00:00:00.000Z", "numComments": 1})
    return items


def pdf_of(title: str, text: str) -> bytes:
    doc = pymupdf.open()
    page = doc.new_page()
    assert page.insert_textbox(pymupdf.Rect(40, 40, 560, 800), f"{title}\n\n{text}", fontsize=7) >= 0  # it fits
    return bytes(doc.tobytes())


@pytest.mark.integration
def test_hf_daily_papers_go_in_through_arxiv_with_their_upvotes(web: WebFixtures, tmp_path: Path) -> None:
    items = daily_papers(shared_path("corpus", "notes", "ko", "hf-daily-papers-2024-06-19.md"), 3)
    today = datetime.now(UTC).date()
    for day in (today, today + timedelta(days=1)):  # the run may start after midnight
        web.add(f"/api/daily_papers?date={day.isoformat()}", json.dumps(items).encode(), "application/json")
    for item in items:
        paper = item["paper"]
        web.add(f"/pdf/{paper['id']}", pdf_of(paper["title"], "Abstract. " + paper["title"] * 5),  # type: ignore[index]
                "application/pdf")
    settings = make_settings(tmp_path, fetch_allow_private=True, fetch_host_delay=0, arxiv_delay_seconds=0,
                             hf_daily_url=web.base + "/api/daily_papers", arxiv_pdf_url=web.base + "/pdf")
    with KnowledgeBase(settings, embedder=FakeEmbedder()) as kb:
        kb.subscriptions.add(new_subscription("hf-daily"))
        collector = kb.services.collector(arxiv=kb.services.arxiv_fetcher(session=requests.Session()))
        report = kb.watch(collector=collector, digest=False)
        run = report.runs[0]
        assert run.error is None and (run.collected, run.added) == (3, 3)  # yesterday's list: 404, tolerated
        docs = {d.arxiv_id: d for d in kb.documents()}
        assert set(docs) == {str(i["paper"]["id"]) for i in items}  # type: ignore[index]
        assert docs["2406.11931"].metadata["hf_upvotes"] == 53 and docs["2406.11931"].kind == "paper"
        assert docs["2406.11931"].title.startswith("DeepSeek-Coder-V2")
        assert kb.watch(collector=collector, digest=False).runs[0].new == 0


def test_offline_source_keeps_state_and_the_others_go_on(web: WebFixtures, env: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/feed.xml"
    veille("watch", "add", "feed", dead)
    code, _, err = veille("watch", "run")
    assert code == EXIT_ERROR and dead in err and "cannot reach" in err
    code, out, _ = veille("watch", "list", "--json")
    [sub] = json.loads(out)["subscriptions"]
    assert sub["last_run"] is None and sub["seen"] == 0 and "cannot reach" in sub["last_error"]


def test_schedules() -> None:
    base = datetime(2026, 12, 2, 8, 30, tzinfo=UTC)
    sub = Subscription(id="x", kind="feed", created_at=base)
    assert is_due(sub, base)
    ran = sub.model_copy(update={"last_run": base})
    assert not is_due(ran, base + timedelta(hours=23)) and is_due(ran, base + timedelta(hours=24))
    six = ran.model_copy(update={"schedule": "6h"})
    assert is_due(six, base + timedelta(hours=6)) and not is_due(six, base + timedelta(hours=5))
    at7 = ran.model_copy(update={"schedule": "daily@07:00"})
    assert not is_due(at7, base + timedelta(hours=22)) and is_due(at7, base + timedelta(hours=23))
    for bad in ("weekly", "25h:00", "daily@25:00"):
        with pytest.raises(QueryError, match=re.escape(bad)):
            check_schedule(bad)


def test_http_watch_routes_and_the_scheduler(web: WebFixtures, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, api_token="tok", fetch_allow_private=True, fetch_host_delay=0,
                             watch_tick_seconds=0)
    kb = KnowledgeBase(settings, embedder=FakeEmbedder())
    with TestClient(create_app(kb)) as client:
        body = {"kind": "feed", "url": web.base + "/rss.xml"}
        assert client.post("/watch", json=body).status_code == 401
        auth = {"Authorization": "Bearer tok"}
        made = client.post("/watch", json=body, headers=auth).json()
        assert made["added"] and client.post("/watch", json=body, headers=auth).json()["added"] is False
        assert client.post("/watch", json={"kind": "arxiv"}, headers=auth).status_code == 400
        assert [s["id"] for s in client.get("/watch").json()["subscriptions"]] == [made["id"]]
        job = Scheduler(client.app.state.service, tick=3600).tick_once()  # type: ignore[attr-defined]
        assert job is not None
        done = _wait(client, job.id)
        assert done["status"] == "done" and done["detail"]["counts"]["added"] == 2, done
        assert done["detail"]["digest_path"] and Path(done["detail"]["digest_path"]).exists()
        assert Scheduler(client.app.state.service, tick=3600).tick_once() is None  # ran: not due again today
        rerun = _wait(client, client.post(f"/watch/{made['id']}/run", headers=auth).json()["id"])
        assert rerun["detail"]["runs"][0]["not_modified"]
        assert client.post("/watch/nope/run", headers=auth).status_code == 404
        assert client.delete(f"/watch/{made['id']}", headers=auth).json()["removed"]["id"] == made["id"]
        assert client.get("/watch").json()["subscriptions"] == []


def _wait(client: TestClient, job_id: str) -> dict[str, object]:
    import time

    for _ in range(600):
        job: dict[str, object] = client.get(f"/jobs/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


@pytest.mark.parametrize(("url", "paper"), [
    ("https://arxiv.org/abs/2406.11931", "2406.11931"), ("http://arxiv.org/pdf/2406.11931v2", "2406.11931v2"),
    ("https://export.arxiv.org/abs/hep-th/9901001", "hep-th/9901001"), ("https://arxiv.org/pdf/2406.11931.pdf",
                                                                       "2406.11931"),
    ("https://arxiv.org/list/cs.CL/new", None), ("https://example.org/abs/2406.11931", None)])
def test_arxiv_links_are_recognised(url: str, paper: str | None) -> None:
    assert arxiv_id_of_url(url) == paper


def test_a_pdf_url_and_a_dead_one(web: WebFixtures, tmp_path: Path) -> None:
    web.add("/files/report.pdf", pdf_of("A report on retrieval", "Retrieval augmented generation. " * 20),
            "application/pdf")
    with KnowledgeBase(make_settings(tmp_path, fetch_allow_private=True, fetch_host_delay=0),
                       embedder=FakeEmbedder()) as kb:
        report = kb.ingest_urls([web.base + "/files/report.pdf", web.base + "/gone"])
        pdf, gone = report.items
        assert (pdf.status, pdf.kind, pdf.pages) == ("added", "paper", 1)
        assert kb.document(pdf.doc_id or "").source == web.base + "/files/report.pdf"  # type: ignore[union-attr]
        assert (gone.status, gone.source, gone.reason) == ("failed", web.base + "/gone", "HTTP 404 Not Found")
        assert kb.ingest_urls([web.base + "/files/report.pdf"]).items[0].status == "unchanged"


@pytest.mark.integration
def test_an_arxiv_query_subscription_takes_only_new_papers(tmp_path: Path, arxiv_fixtures: Path) -> None:
    from tests.ingest.arxiv_fake import RecordedArxiv

    probe = KnowledgeBase(make_settings(tmp_path / "probe"), embedder=FakeEmbedder())
    fetcher = probe.services.arxiv_fetcher(session=RecordedArxiv(arxiv_fixtures), delay_seconds=0)
    listed = list(fetcher.by_query("testing", 100))
    pdfs = {(m.pdf_url or "").rsplit("/", 1)[-1]: pdf_of(m.title, m.abstract) for m in listed}
    with KnowledgeBase(make_settings(tmp_path / "home", arxiv_delay_seconds=0), embedder=FakeEmbedder()) as kb:
        kb.subscriptions.add(new_subscription("arxiv", "testing", arxiv_query=True))
        collector = kb.services.collector(arxiv=kb.services.arxiv_fetcher(session=RecordedArxiv(arxiv_fixtures, pdfs)))
        first = kb.watch(collector=collector, digest=False).runs[0]
        assert first.error is None and first.collected == len(listed) == first.added
        assert {d.arxiv_id for d in kb.documents()} == {m.arxiv_id for m in listed}
        again = kb.watch(collector=collector, digest=False).runs[0]
        assert (again.collected, again.new, again.added) == (len(listed), 0, 0)
    probe.close()
