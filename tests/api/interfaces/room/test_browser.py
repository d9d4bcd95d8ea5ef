"""The reading room in a real browser (Debian's chromium, driven by Playwright): ask and open a citation
at its place, a PDF page with its quote highlighted, a digest, an upload followed to its end, signing in
and removing a document, the keyboard, JavaScript off, and hostile markup that never runs. Each page is
saved as a screenshot under build/screenshots (VEILLE_SCREENSHOTS elsewhere) for a person to look at."""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import REPO, SAMPLES, make_settings
from veille.interfaces.http.app import create_app
from veille.kb import KnowledgeBase

pytestmark = [pytest.mark.slow, pytest.mark.integration]
CHROMIUM = Path(os.environ.get("VEILLE_CHROMIUM", "/usr/bin/chromium"))
# what a headless Chromium needs on a machine with no network and no display (the setup installs it)
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(os.environ.get("VEILLE_SCREENSHOTS", REPO / "build" / "screenshots"))
HOSTILE = {"id": "piege-record", "lang": "fr", "title": "Piège <img src=x onerror=\"document.title='pwned'\">",
           "text": "<script>document.title='pwned'</script> Le cache KV occupe 16 Go pour 32k jetons. "
                   "<img src=x onerror=\"document.title='pwned'\"> <a href=\"javascript:alert(1)\">lien</a>"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("browser")
    shutil.copytree(SAMPLES, root / "samples")
    (root / "samples" / "piege.jsonl").write_text(json.dumps(HOSTILE, ensure_ascii=False), encoding="utf-8")
    kb = KnowledgeBase(make_settings(root / "home", api_token="s3cret"))
    assert kb.ingest([root / "samples"]).ok
    port = _free_port()
    uv = uvicorn.Server(uvicorn.Config(create_app(kb), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
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
    uv.should_exit = True
    thread.join(30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/setup.sh does, as root)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    p.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}"))
    yield p
    context.close()
    assert not errors, errors  # no script error, no alert from stored text


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, server: str, then: str) -> None:
    page.goto(f"{server}/login?next={then}")
    page.fill("#token", "s3cret")
    page.click("form.login button[type=submit]")
    page.wait_for_url(f"{server}{then}")


def test_ask_streams_the_answer_and_a_chip_opens_its_quote(page: Page, server: str) -> None:
    page.goto(f"{server}/ask")
    page.fill("#q", "Combien de bits utilise la quantification du cache KV ?")
    page.keyboard.press("Enter")
    expect(page.locator("#answer .citations li").first).to_be_visible(timeout=60_000)
    assert "/ask?q=" in page.url  # the answer has an address of its own
    shot(page, "ask-answer")
    chip = page.locator("#answer .chip").first
    quote = page.locator("#answer .citations blockquote").first.inner_text()
    chip.click()
    side = page.locator("#side")
    expect(side.locator(".passage")).to_be_visible(timeout=30_000)
    mark, boxes = side.locator("mark#quote"), side.locator("rect.highlight")
    if mark.count():
        assert " ".join(mark.inner_text().split()) == " ".join(quote.split())
        assert mark.bounding_box() is not None  # scrolled into the panel, on screen
    else:
        assert boxes.count() > 0
    shot(page, "ask-passage-beside")


def test_a_pdf_passage_highlights_the_quote_on_the_page_image(page: Page, server: str) -> None:
    docs = httpx.get(f"{server}/documents", params={"kind": "paper"}).json()["documents"]
    doc_id = docs[0]["doc_id"]
    chunks = httpx.get(f"{server}/documents/{doc_id}").json()["chunks"]
    chunk = next(c for c in chunks if c["sentences"] and c["page_start"])
    a, b = chunk["sentences"][1] if len(chunk["sentences"]) > 1 else chunk["sentences"][0]
    page.goto(f"{server}/read/{doc_id}?chunk={chunk['chunk_id']}&start={a}&end={b}")
    image = page.locator("figure.page svg image")
    expect(image).to_be_visible()
    assert page.evaluate("document.querySelector('figure.page svg image').getBBox().width") > 100
    rect = page.locator("rect.highlight").first
    box, frame = rect.bounding_box(), page.locator("figure.page svg").bounding_box()
    assert box and frame and box["width"] > 5 and frame["x"] <= box["x"] <= frame["x"] + frame["width"]
    loaded = page.evaluate("fetch(document.querySelector('figure.page svg image').getAttribute('href'))"
                           ".then(r => r.headers.get('content-type'))")
    assert loaded == "image/png"
    shot(page, "pdf-passage")


def test_a_digest_with_live_citations(page: Page, server: str) -> None:
    page.goto(f"{server}/digests?ui=en")
    page.fill("#topic", "KV cache")
    page.click("form.query button[type=submit]")
    expect(page.locator("article.digest")).to_be_visible(timeout=60_000)
    chip = page.locator("article.digest .chip").first
    chip.click()
    expect(page.locator("#side .passage")).to_be_visible(timeout=30_000)
    shot(page, "digest")


def test_upload_follow_the_job_then_remove_it_signed_in(page: Page, server: str, tmp_path: Path) -> None:
    page.goto(f"{server}/library")
    expect(page.locator(".add a[href='/login?next=/library']")).to_be_visible()  # not signed in: no forms
    sign_in(page, server, "/library")
    note = tmp_path / "relecture.md"
    note.write_text("# Relire\n\nUne note courte relue en entier garde ses phrases entières et ses chiffres : 42.\n",
                    encoding="utf-8")
    page.set_input_files("input[name=files]", str(note))
    page.click("form[action='/library/upload'] button[type=submit]")
    page.wait_for_url("**/library/jobs/*")
    expect(page.locator("#job[data-status='done']")).to_be_visible(timeout=120_000)  # followed by htmx
    shot(page, "upload-job")
    page.click("#job a[href^='/library/doc/']")
    expect(page.locator("article.document h1")).to_have_text("Relire")
    shot(page, "document")
    page.click("form.danger button[type=submit]")
    page.wait_for_url("**/library?removed=*")
    expect(page.locator(".notice")).to_be_visible()
    shot(page, "library-after-remove")


def test_the_keyboard_reaches_everything_in_order(page: Page, server: str) -> None:
    page.goto(f"{server}/ask")
    assert page.evaluate("document.activeElement.id") == "q"  # the question box has the focus
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Demander"  # then the language, then Ask
    page.goto(f"{server}/library")
    seen = []
    for _ in range(12):
        page.keyboard.press("Tab")
        seen.append(page.evaluate("document.activeElement.getAttribute('href') || document.activeElement.name "
                                  "|| document.activeElement.tagName"))
    assert seen[0] == "#main"  # the skip link first, then the sections, then the filters
    assert seen[1:7] == ["/ask", "/ask", "/search", "/digests", "/library", "/subscriptions"] and "q" in seen
    page.goto(f"{server}/library")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the skip link moves the focus to the content
    assert page.evaluate("document.activeElement.id") == "main"


def test_without_javascript_the_answer_arrives_whole(browser: Browser, server: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{server}/ask")
    page.fill("#q", "Combien de bits utilise la quantification du cache KV ?")
    page.click("#ask-form button[type=submit]")
    expect(page.locator("#answer .citations li").first).to_be_visible(timeout=60_000)
    page.locator("#answer .chip").first.click()  # a plain link: the passage's own page
    expect(page.locator("article.passage")).to_be_visible()
    assert "/read/" in page.url
    shot(page, "no-javascript-passage")
    context.close()


def test_stored_markup_never_runs(page: Page, server: str) -> None:
    for path in ("/read/piege-record", "/library/doc/piege-record", "/library", "/search?q=cache+KV+16+Go"):
        page.goto(server + path)
        assert page.title() != "pwned", path  # the title's markup is its text (it may read "…pwned…")
        assert page.locator("script:not([src])").count() == 0, path
    page.goto(f"{server}/read/piege-record")
    expect(page.locator(".text")).to_contain_text("<script>document.title='pwned'</script>")
    shot(page, "hostile-record")


def test_pages_read_well_on_a_phone_in_the_dark(browser: Browser, server: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark", locale="ko-KR")
    page = context.new_page()
    page.goto(f"{server}/library")
    assert page.evaluate("document.documentElement.lang") == "ko"
    assert page.evaluate("document.documentElement.scrollWidth") <= 400  # no sideways scrolling
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(253, 253, 251)"  # the dark palette
    shot(page, "library-phone-dark")
    context.close()
