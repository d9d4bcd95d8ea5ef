from __future__ import annotations

import csv
from pathlib import Path

import pymupdf
import pytest

from veille.errors import EmptyInputError, ParseError
from veille.ingest.documents import ArxivMeta
from veille.ingest.pdf import parse_pdf


def manifest(papers_dir: Path) -> list[dict[str, str]]:
    with (papers_dir / "MANIFEST.tsv").open() as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@pytest.mark.slow
def test_every_corpus_paper_parses_with_id_title_and_pages(papers_dir: Path) -> None:
    for row in manifest(papers_dir):
        doc = parse_pdf(papers_dir / row["file"])
        assert doc.pages == int(row["pages"]), row["file"]
        assert {b.page for b in doc.blocks} <= set(range(1, doc.pages + 1))
        if not row["arxiv_id"].startswith("ACL:"):
            assert doc.arxiv_id == row["arxiv_id"].split("v")[0], row["file"]
            assert doc.doc_id == f"arxiv:{doc.arxiv_id}"
        expected = row["title"].split(" (")[0].lower()
        assert doc.title.lower().startswith(expected[:40]), (doc.title, expected)
        assert doc.lang == "en"


def test_two_column_reading_order(papers_dir: Path) -> None:
    doc = parse_pdf(papers_dir / "2305.13048v1.pdf")
    text = doc.text
    # Page 1 of RWKV: the left column's end flows into the right column's start.
    intro = text.index("Deep learning techniques have made significant strides")
    right = text.index("role in various scientific and industrial applications")
    assert 0 < right - intro < 600


def test_headings_sections_and_references(papers_dir: Path) -> None:
    doc = parse_pdf(papers_dir / "1706.03762v5.pdf")
    headings = [b.text for b in doc.blocks if b.kind == "heading"]
    assert "3.2.1 Scaled Dot-Product Attention" in headings
    block = next(b for b in doc.blocks if b.text.startswith("We call our particular attention"))
    assert block.section == ["3 Model Architecture", "3.2 Attention", "3.2.1 Scaled Dot-Product Attention"]
    refs = [b for b in doc.blocks if b.references]
    assert refs and all(b.page and b.page >= 10 for b in refs)
    assert not any(b.references for b in doc.blocks if "BLEU" in b.text and b.page == 1)


def test_cleanup_ligatures_hyphens_furniture(papers_dir: Path) -> None:
    doc = parse_pdf(papers_dir / "1706.03762v5.pdf")
    text = doc.text
    assert "ﬁ" not in text and "significantly" in text
    assert "English-to-German" in text  # a real hyphen at a line end is kept
    assert "arXiv:1706.03762v5" not in text  # the margin stamp is metadata, not content
    s2orc = parse_pdf(papers_dir / "acl-2020.acl-main.447.pdf").text
    assert "Färber" in s2orc  # LaTeX's detached accent re-attached
    assert "\n\n4970\n\n" not in s2orc  # page number dropped


def test_known_arxiv_metadata_is_attached(papers_dir: Path) -> None:
    meta = ArxivMeta(arxiv_id="1706.03762", title="Attention Is All You Need (from arXiv)",
                     categories=["cs.CL", "cs.LG"])
    doc = parse_pdf(papers_dir / "1706.03762v5.pdf", lambda i: meta if i == "1706.03762" else None)
    assert doc.arxiv == meta and doc.title == meta.title
    assert doc.metadata["arxiv_version"] == "v5"


def _pdf(tmp_path: Path, name: str, text: str | None = "Hello there, a real sentence of text.",
         **save: object) -> Path:
    doc = pymupdf.open()
    page = doc.new_page()
    if text:
        page.insert_text((72, 72), text)
    path = tmp_path / name
    doc.save(path, **save)
    return path


def test_arxiv_id_from_file_name(tmp_path: Path) -> None:
    assert parse_pdf(_pdf(tmp_path, "2406.11931v2.pdf")).arxiv_id == "2406.11931"
    assert parse_pdf(_pdf(tmp_path, "hep-th_9901001v1.pdf")).arxiv_id == "hep-th/9901001"
    plain = parse_pdf(_pdf(tmp_path, "notes.pdf"))
    assert plain.arxiv_id is None and plain.doc_id.startswith("pdf:")


def test_encrypted_pdf(tmp_path: Path) -> None:
    path = _pdf(tmp_path, "locked.pdf", encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="u", owner_pw="o")
    with pytest.raises(ParseError, match="encrypted") as err:
        parse_pdf(path)
    assert err.value.source == str(path)


def test_corrupt_truncated_and_empty_pdfs(tmp_path: Path, papers_dir: Path) -> None:
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"this is not a pdf at all")
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes((papers_dir / "1503.02531v1.pdf").read_bytes()[:3000])
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    for path in (garbage, truncated, empty):
        with pytest.raises(ParseError) as err:
            parse_pdf(path)
        assert err.value.source == str(path)


def test_image_only_pdf(tmp_path: Path) -> None:
    with pytest.raises(EmptyInputError, match="no text layer"):
        parse_pdf(_pdf(tmp_path, "scan.pdf", text=None))
