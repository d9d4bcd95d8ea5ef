"""Where a citation points (veille.anchors), and the Markdown digest's [n] links."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from tests.conftest import open_samples_kb
from veille.anchors import anchor, passage_path, source_link, text_fragment


def test_an_anchor_names_its_chunk_span_and_passage_page() -> None:
    a = anchor("arxiv:1706.03762", "c-1", 7, 10, 52)
    parts = urlsplit(a.href)
    assert unquote(parts.path) == "/read/arxiv:1706.03762" and parts.fragment == "quote"
    assert parse_qs(parts.query) == {"chunk": ["c-1"], "start": ["10"], "end": ["52"], "page": ["7"]}
    assert passage_path("note:x", "c-2") == "/read/note%3Ax?chunk=c-2#quote"


def test_away_from_the_server_a_link_opens_the_source_at_the_quote(tmp_path: Path) -> None:
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    assert source_link(str(pdf), 3, "x") == pdf.resolve().as_uri() + "#page=3"
    assert source_link("https://arxiv.org/abs/1706.03762", 5, "x", "https://arxiv.org/pdf/1706.03762") == \
        "https://arxiv.org/pdf/1706.03762#page=5"
    page = source_link("https://blog.example.org/post#top", None, "Le cache KV - grossit, vite.")
    assert page == "https://blog.example.org/post#:~:text=Le%20cache%20KV%20%2D%20grossit%2C%20vite."
    long = text_fragment(" ".join(f"w{i}" for i in range(30)))
    assert long == "w0%20w1%20w2%20w3%20w4%20w5%20w6%20w7,w22%20w23%20w24%20w25%20w26%20w27%20w28%20w29"


def test_every_citation_of_an_answer_and_a_digest_carries_its_anchor(tmp_path: Path) -> None:
    with open_samples_kb(tmp_path) as kb:
        answer = kb.ask("Combien de bits utilise la quantification du cache KV ?")
        digest = kb.digest("KV cache", lang="en")
        for c in answer.citations + digest.citations:
            stored = {p["chunk_id"]: p["text"] for p in kb.chunks(c.doc_id)}[c.chunk_id]
            assert (c.anchor.doc_id, c.anchor.chunk_id, c.anchor.page) == (c.doc_id, c.chunk_id, c.page)
            assert stored[c.anchor.start:c.anchor.end] == c.quote
        # away from a server, each [n] of the Markdown links to the source at the quote
        for c in digest.citations:
            assert f"[{c.n}]: <{kb.citation_link(c)}>" in digest.markdown
        assert any("#page=" in kb.citation_link(c) for c in digest.citations if c.page)


def test_with_a_public_url_each_n_links_to_the_reading_room(tmp_path: Path) -> None:
    with open_samples_kb(tmp_path, public_url="https://veille.example.org/") as kb:
        digest = kb.digest("KV cache", lang="fr")
        first = digest.citations[0]
        assert f"[{first.n}]: <https://veille.example.org{first.anchor.href}>" in digest.markdown
