"""The reading room's pages over HTTP (no browser): every page, anchors that open their quote, the rules
for writes, and stored text that stays text."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.conftest import SAMPLES, make_settings
from veille.interfaces.http.app import create_app
from veille.kb import KnowledgeBase

HOSTILE = """# Une note piégée

<script>document.title = 'pwned'</script>

Le cache KV d'un modèle de 7 milliards de paramètres occupe 16 Go pour un contexte de 32k jetons.
<img src=x onerror="document.title='pwned'"> [un lien](javascript:alert(1)) et <b>du gras</b>.
"""


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeBase]:
    root = tmp_path_factory.mktemp("room")
    shutil.copytree(SAMPLES, root / "samples")
    (root / "samples" / "notes" / "fr" / "piege.md").write_text(HOSTILE, encoding="utf-8")
    record = {"id": "piege-record", "title": "<script>document.title='pwned'</script> Piège", "text": HOSTILE,
              "lang": "fr"}
    (root / "samples" / "piege.jsonl").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    kb = KnowledgeBase(make_settings(root / "home", api_token="s3cret"))
    assert kb.ingest([root / "samples"]).ok
    yield kb
    kb.close()


@pytest.fixture(scope="module")
def client(kb: KnowledgeBase) -> Iterator[TestClient]:
    with TestClient(create_app(kb), raise_server_exceptions=False) as c:
        yield c


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, "no CSRF token in the form"
    return found.group(1)


def _signed_in(client: TestClient) -> dict[str, str]:
    page = client.get("/login")
    r = client.post("/login", data={"token": "s3cret", "csrf": _csrf(page.text), "next": "/library"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/library"
    cookie = r.cookies.get("veille_session")
    assert cookie and "s3cret" not in cookie
    set_cookie = r.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=strict" in set_cookie
    return {"veille_session": cookie}


def test_every_page_answers_in_the_readers_language(client: TestClient) -> None:
    for path in ("/ask", "/search", "/digests", "/library", "/subscriptions", "/login"):
        r = client.get(path, headers={"Accept-Language": "ko-KR,ko;q=0.9"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), path
        assert '<html lang="ko">' in r.text and "자료실" in r.text, path
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    french = client.get("/ask?ui=fr")
    assert '<html lang="fr">' in french.text and french.cookies.get("veille_lang") == "fr"
    assert client.get("/", follow_redirects=False).headers["location"] == "/ask"


def test_an_answers_citations_open_their_quote(client: TestClient, kb: KnowledgeBase) -> None:
    r = client.get("/ask", params={"q": "Combien de bits utilise la quantification du cache KV ?"})
    assert r.status_code == 200
    hrefs = [unescape(h) for h in re.findall(r'class="chip" href="([^"]+)"', r.text)]
    assert hrefs, "no citation chip"
    answer = kb.ask("Combien de bits utilise la quantification du cache KV ?")
    assert [c.anchor.href for c in answer.citations][:len(hrefs)] == hrefs[:len(answer.citations)]
    for c in answer.citations:
        page = client.get(c.anchor.href)
        assert page.status_code == 200
        if c.page is None:  # a note: the quote in <mark>
            marked = re.search(r'<mark id="quote">(.*?)</mark>', page.text, re.S)
            assert marked and unescape(marked.group(1)) == c.quote
        else:  # a PDF: the page image and the quote's boxes on it
            assert re.search(r'<rect class="highlight"', page.text)
            assert f"/page-image/{c.page}/" in page.text


def test_a_pdf_passage_shows_its_page_with_the_quote_boxed(client: TestClient, kb: KnowledgeBase) -> None:
    paper = next(d for d in kb.documents() if d.kind == "paper")
    chunk = next(c for c in kb.chunks(paper.doc_id) if c.get("sentences"))
    a, b = chunk["sentences"][0]
    r = client.get(f"/read/{paper.doc_id}", params={"chunk": chunk["chunk_id"], "start": a, "end": b})
    assert r.status_code == 200
    boxes = re.findall(r'<rect class="highlight" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"', r.text)
    assert boxes and all(float(w) > 0 and float(h) > 0 for _, _, w, h in boxes)
    image = re.search(r'<image href="([^"]+)"', r.text)
    assert image
    png = client.get(unescape(image.group(1)))
    assert png.status_code == 200 and png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"
    assert client.get(unescape(image.group(1))).content == png.content  # kept: the second read is the cache's
    assert client.get(f"/file/{paper.doc_id}").content[:4] == b"%PDF"
    assert client.get(f"/read/{paper.doc_id}", params={"chunk": chunk["chunk_id"], "page": 99}).status_code == 404


@pytest.mark.parametrize("name", ["piege.md", "piege-record"])
def test_hostile_markup_renders_as_text(client: TestClient, kb: KnowledgeBase, name: str) -> None:
    """A note's or a record's markup is shown as the text it is, wherever its text or title appears (a
    Markdown note loses its HTML at ingest; a record keeps it verbatim)."""
    doc = next(d for d in kb.documents() if d.source.endswith(name) or d.doc_id == name)
    stored = "".join(c["text"] for c in kb.chunks(doc.doc_id))
    for path in (f"/read/{doc.doc_id}", f"/library/doc/{doc.doc_id}", "/library",
                 "/search?q=" + "cache KV 16 Go piège"):
        body = client.get(path).text.split("</head>", 1)[1]
        assert "<script>document" not in body and "<img src=x" not in body and 'onerror="' not in body, path
        assert 'href="javascript:' not in body and "<b>du gras</b>" not in body, path
    if name == "piege-record":  # kept verbatim: shown escaped
        assert "<script>" in stored and "&lt;script&gt;" in client.get(f"/read/{doc.doc_id}").text


def test_search_groups_by_document_and_marks_the_sentence(client: TestClient) -> None:
    r = client.get("/search", params={"q": "cache KV mémoire", "lang": "fr"})
    assert r.status_code == 200 and r.text.count('<article class="result">') >= 1
    assert re.search(r"<mark>[^<]*(?:cache|KV)[^<]*</mark>", r.text)
    bad = client.get("/search", params={"q": "x", "since": "yesterday"})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text


def test_a_digest_links_every_citation_to_its_passage(client: TestClient) -> None:
    r = client.get("/digests", params={"topic": "KV cache", "lang": "en"})
    assert r.status_code == 200 and '<article class="digest"' in r.text
    chips = [unescape(h) for h in re.findall(r'class="chip" href="([^"]+)"', r.text)]
    assert chips and all(h.startswith("/read/") for h in chips)
    first = urlsplit(chips[0])
    assert "start" in parse_qs(first.query) and client.get(chips[0]).status_code == 200
    nothing = client.get("/digests", params={"topic": "recette de pizza napolitaine au feu de bois"})
    assert nothing.status_code == 404


def test_writes_need_a_session_and_the_forms_own_token(client: TestClient, kb: KnowledgeBase) -> None:
    record = kb.documents()[0]
    anonymous = client.post(f"/library/remove/{record.doc_id}", data={"csrf": "x"}, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    cookies = _signed_in(client)
    client.cookies.update(cookies)
    try:
        forged = client.post(f"/library/remove/{record.doc_id}", data={"csrf": "0" * 64}, follow_redirects=False)
        assert forged.status_code == 403 and kb.document(record.doc_id) is not None
        wrong = client.post("/login", data={"token": "nope", "csrf": _csrf(client.get("/login").text)})
        assert wrong.status_code == 401
    finally:
        client.cookies.clear()


def test_upload_then_follow_the_job_then_remove(client: TestClient, kb: KnowledgeBase, tmp_path: Path) -> None:
    client.cookies.update(_signed_in(client))
    try:
        csrf = _csrf(client.get("/library").text)
        note = "# Note de test\n\nLes passages courts se relisent mieux quand on garde leurs phrases entières.\n"
        r = client.post("/library/upload", data={"csrf": csrf}, files={"files": ("relire.md", note.encode())},
                        follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/library/jobs/")
        for _ in range(600):
            page = client.get(r.headers["location"])
            if 'data-status="done"' in page.text or 'data-status="failed"' in page.text:
                break
        assert 'data-status="done"' in page.text, page.text
        added = next(d for d in kb.documents() if d.source.endswith("relire.md"))
        gone = client.post(f"/library/remove/{added.doc_id}", data={"csrf": csrf}, follow_redirects=False)
        assert gone.status_code == 303 and kb.document(added.doc_id) is None
    finally:
        client.cookies.clear()


def test_reads_can_require_the_token(tmp_path: Path) -> None:
    kb = KnowledgeBase(make_settings(tmp_path / "home", api_token="s3cret", token_on_reads=True))
    with TestClient(create_app(kb)) as c:
        r = c.get("/library", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Flibrary"
        assert c.get("/login").status_code == 200


def test_morning_digests_are_listed_and_read_as_text(client: TestClient, kb: KnowledgeBase) -> None:
    folder = kb.settings.digests
    folder.mkdir(parents=True, exist_ok=True)
    text = ("# Veille du 1er décembre\n\n- Un point [1]\n\n<script>x()</script>\n\n"
            "[1]: <https://arxiv.org/pdf/1706.03762#page=3>\n")
    (folder / "veille-2026-12-01.md").write_text(text, encoding="utf-8")
    listing = client.get("/digests")
    assert 'href="/digests/morning/veille-2026-12-01.md"' in listing.text
    page = client.get("/digests/morning/veille-2026-12-01.md")
    assert page.status_code == 200 and "<h1>Veille du 1er décembre</h1>" in page.text
    assert "<script>x()</script>" not in page.text and "&lt;script&gt;" in page.text
    assert 'href="https://arxiv.org/pdf/1706.03762#page=3"' in page.text  # [1] links where the digest says
    assert client.get("/digests/morning/../../etc/passwd").status_code == 404
