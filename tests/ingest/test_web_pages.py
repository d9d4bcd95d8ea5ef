"""Web pages, feeds, daily papers and the polite fetcher, against ../shared/fixtures/web on loopback."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import shared_path
from tests.web_fixtures import WebFixtures, serve_web
from veille.errors import EmptyInputError, NetworkError, ParseError, SourceError
from veille.ingest.feeds import parse_daily_papers, parse_feed
from veille.ingest.http_fetch import FetchPolicy, HttpFetcher
from veille.ingest.web_pages import WebStore, page_id, parse_page

BOILERPLATE = ["Aller au contenu", "Retour", "Partager", "Article précédent", "Article suivant", "Copyright",
               "cookies", "Merci pour ce résumé", "compatible avec vLLM", "Articles récents", "Newsletter",
               "Mentions légales", "#llm", "Étiqueté", "Flux RSS", "Rechercher"]


@pytest.fixture(scope="module")
def web_dir() -> Path:
    return shared_path("fixtures", "web")


@pytest.fixture(scope="module")
def web(web_dir: Path) -> Iterator[WebFixtures]:
    with serve_web(web_dir) as fixtures:
        yield fixtures


def fetcher(**policy: object) -> HttpFetcher:
    return HttpFetcher(FetchPolicy(allow_private=True, host_delay=0, **policy))  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "title", "day", "first", "last"), [
    ("google-ouvre-le-capot-des-llms.html", "Google ouvre le capot des LLMs", "2025-07-25",
     "Dans un récent papier", "Un chef qui adapte sa recette"),
    ("q-filters-compression-cache-kv.html", "Q-Filters : compresser le cache KV sans entraînement", "2025-03-10",
     "Ces dernières années", "étape de préparation"),
])
def test_a_page_keeps_its_article_and_nothing_else(web_dir: Path, name: str, title: str, day: str,
                                                   first: str, last: str) -> None:
    doc = parse_page((web_dir / name).read_bytes(), "http://blog.test/posts/x/#top")
    assert (doc.title, doc.lang, doc.kind) == (title, "fr", "note")
    assert doc.date is not None and doc.date.date().isoformat() == day
    assert doc.blocks[0].text.startswith(first) and last in doc.blocks[-1].text
    assert not [b for b in BOILERPLATE if b in doc.text]
    assert doc.source == "http://blog.test/posts/x/" and doc.doc_id == page_id("http://blog.test/posts/x/")
    assert parse_page((web_dir / name).read_bytes(), "http://blog.test/posts/x/") == doc  # deterministic


def test_byline_and_links_to_papers(web_dir: Path) -> None:
    doc = parse_page((web_dir / "q-filters-compression-cache-kv.html").read_bytes(), "http://w.test/q/")
    assert doc.metadata["author"] == "Rédaction" and doc.references == ["2503.02812"]


def test_a_page_without_article_is_a_clear_error() -> None:
    with pytest.raises(EmptyInputError, match=r"http://w\.test/empty"):
        parse_page(b"<html><body><nav><a href='/'>Accueil</a></nav></body></html>", "http://w.test/empty")


def test_the_web_store_keeps_bytes_and_last_fetch(tmp_path: Path) -> None:
    store = WebStore(tmp_path)
    rec = store.put("http://w.test/a#frag", b"<html>a</html>", '"e1"', "yesterday")
    assert store.record("http://w.test/a") == rec and store.html("http://w.test/a") == b"<html>a</html>"
    assert store.record("http://w.test/other") is None


@pytest.mark.parametrize("feed", ["carnet-rss.xml", "carnet-atom.xml"])
def test_rss_and_atom_give_the_same_entries(web_dir: Path, feed: str) -> None:
    body = (web_dir / feed).read_bytes().replace(b"{BASE}", b"http://b.test")
    parsed = parse_feed(body, f"http://b.test/{feed}")
    by_link = {e.link: e for e in parsed.entries}
    google = by_link["http://b.test/posts/google-ouvre-le-capot-des-llms/"]
    assert google.published is not None and google.published.isoformat() == "2025-07-25T11:00:00+00:00"
    q_filters = by_link["http://b.test/2025/03/10/q-filters/"]
    assert q_filters.key == "veille-ia-hebdo-4812"  # a guid that is not a permalink still identifies it
    assert parsed.title == "Carnet de veille IA"


def test_a_document_that_is_no_feed_is_refused() -> None:
    with pytest.raises(ParseError, match=r"http://b\.test/x"):
        parse_feed(b"<html><body>hello</body></html>", "http://b.test/x")


def test_daily_papers_in_the_documented_shape() -> None:
    items = [{"paper": {"id": "2406.11931", "title": "DeepSeek-Coder-V2:\n Breaking", "summary": "S.",
                        "authors": [{"name": "A"}, {"name": "B"}], "publishedAt": "2024-06-17T17:00:00.000Z",
                        "upvotes": 53}, "title": "x", "publishedAt": "2024-06-18T00:00:00.000Z", "numComments": 4},
             {"paper": {"title": "no id"}}]
    [paper] = parse_daily_papers(json.dumps(items).encode(), "http://h.test/api", pdf_base="http://h.test/pdf/")
    assert (paper.meta.arxiv_id, paper.meta.title, paper.meta.authors) == ("2406.11931", "DeepSeek-Coder-V2: Breaking",
                                                                          ["A", "B"])
    assert (paper.upvotes, paper.comments, paper.meta.pdf_url) == (53, 4, "http://h.test/pdf/2406.11931")
    with pytest.raises(ParseError, match="not JSON"):
        parse_daily_papers(b"{oops", "http://h.test/api")


def test_conditional_get_and_errors(web: WebFixtures) -> None:
    f = fetcher()
    first = f.get(web.base + "/rss.xml")
    assert first.status == 200 and first.etag and b"{BASE}" not in first.body
    again = f.get(web.base + "/rss.xml", etag=first.etag, last_modified=first.last_modified)
    assert again.not_modified and web.seen("/rss.xml")[-1]["if-none-match"] == first.etag
    assert web.seen("/rss.xml")[-1]["user-agent"].startswith("Veille/")
    with pytest.raises(SourceError, match="404"):
        f.get(web.base + "/posts/publications-de-la-semaine-30-2025/")


def test_limits_of_the_policy(web: WebFixtures) -> None:
    with pytest.raises(SourceError, match="private or loopback"):
        HttpFetcher(FetchPolicy(host_delay=0)).get(web.base + "/rss.xml")
    with pytest.raises(SourceError, match="only http"):
        fetcher().get("file:///etc/passwd")
    with pytest.raises(SourceError, match="download cap"):
        fetcher(max_bytes=1000).get(web.base + "/2025/03/10/q-filters/")


def test_redirects_are_followed_and_bounded(web: WebFixtures) -> None:
    web.redirects.update({"/loop": "/loop", "/moved": "/rss.xml"})
    with pytest.raises(SourceError, match="more than 2 redirects"):
        fetcher(max_redirects=2).get(web.base + "/loop")
    assert fetcher().get(web.base + "/moved").final_url == web.base + "/rss.xml"


def test_robots_txt_is_obeyed_for_pages(web: WebFixtures) -> None:
    web.add("/robots.txt", b"User-agent: Veille\nDisallow: /2025/\n", "text/plain")
    try:
        with pytest.raises(SourceError, match=r"robots\.txt"):
            fetcher().get(web.base + "/2025/03/10/q-filters/", page=True)
        assert fetcher().get(web.base + "/posts/google-ouvre-le-capot-des-llms/", page=True).status == 200
    finally:
        del web.routes["/robots.txt"]


def test_an_unreachable_host_fails_within_seconds() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(NetworkError, match=f"127.0.0.1:{port}"):
        fetcher(timeout=3).get(f"http://127.0.0.1:{port}/feed.xml")


def test_a_server_that_never_answers_times_out() -> None:
    """The fetch gives up after its timeout instead of waiting for ever (a hang would stall the suite)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()  # accepts connections, never answers
        port = server.getsockname()[1]
        with pytest.raises(NetworkError, match=rf"127\.0\.0\.1:{port}"):
            fetcher(timeout=0.5).get(f"http://127.0.0.1:{port}/feed.xml")
