"""What each block is to a reader: body, bibliography or front matter (veille.ingest.roles)."""

from __future__ import annotations

from pathlib import Path

import pytest

from veille.ingest.chunking import chunk_document
from veille.ingest.documents import Block
from veille.ingest.notes import parse_note
from veille.ingest.pdf import parse_pdf
from veille.ingest.roles import front_matter_line, names_institutions, note_roles, paper_roles, reference_entry


@pytest.mark.parametrize("entry", [
    "Lewis, P., Perez, E., and Piktus, A. 2020. Retrieval-augmented generation. In Proceedings of NeurIPS.",
    "[12] Ashish Vaswani, Noam Shazeer. Attention is all you need. arXiv preprint arXiv:1706.03762, 2017.",
    "Dupont, J., Martin, C. 2021. Un modèle de langue. Actes de la conférence TALN, pages 12–20.",
    "Kenton Lee, Ming-Wei Chang. 2019. Latent retrieval for weakly supervised open domain QA. In ACL.",
])
def test_bibliography_entries_in_either_language(entry: str) -> None:
    assert reference_entry(entry)


@pytest.mark.parametrize("sentence", [
    "We follow Lewis et al. (2020) and retrieve passages before generating an answer.",
    "Le modèle de 2021 réduit la mémoire du cache de moitié sans perte de précision.",
    "RAG models combine parametric and non-parametric memory for knowledge-intensive tasks.",
])
def test_prose_citing_a_work_is_no_entry(sentence: str) -> None:
    assert not reference_entry(sentence)


@pytest.mark.parametrize("line", [
    "†Work done while at Facebook AI Research.",
    "∗Equal contribution",
    "{plewis, eperez}@fb.com",
    "1 Stanford University, 2 University College London",
    "Skip to content",
    "Article précédent",
    "5 min de lecture",
    "본문 바로가기",
])
def test_front_matter_lines(line: str) -> None:
    assert front_matter_line(line)


def test_a_paragraph_naming_a_university_in_passing_is_body() -> None:
    paragraph = ("The corpus was collected by a team at a large university over two years; it holds forty thousand "
                 "questions with their answers, written by annotators who read the passages first. We keep the "
                 "official split and report exact match on its test set.")
    assert not front_matter_line(paragraph)


def test_a_sentence_naming_institutions_is_about_who() -> None:
    byline = ("Une équipe de l'Université de Sorbonne et de l'Institut national de recherche a proposé une "
              "méthode de compression.")
    assert names_institutions(byline)
    assert not names_institutions("Une méthode de compression du cache divise sa mémoire par huit.")


def test_a_paper_keeps_its_bibliography_and_title_page_apart(papers_dir: Path) -> None:
    doc = parse_pdf(papers_dir / "2005.11401v4.pdf")
    chunks = chunk_document(doc)
    by_role = {role: [c for c in chunks if c.role == role] for role in ("body", "references", "front_matter")}
    assert len(by_role["references"]) >= 10 and len(by_role["body"]) >= 30
    assert all(c.references for c in by_role["references"])
    authors = by_role["front_matter"][0]
    assert authors.page_start == 1 and "Patrick Lewis" in authors.text
    assert any(c.text.startswith("Acknowledg") for c in by_role["front_matter"])
    assert not any("Patrick Lewis" in c.text for c in by_role["body"][:3])
    assert any("retrieval-augmented generation" in c.text.lower() for c in by_role["body"][:3])  # the abstract
    # the bibliography's arXiv ids are the paper's links; its own id is not among them
    assert len(doc.references) >= 10 and "2005.11401" not in doc.references


def test_a_paper_whose_headings_read_as_paragraphs_is_body() -> None:
    doc = parse_pdf(Path(__file__).resolve().parents[2] / "samples" / "papers" / "sample-paper.pdf")
    assert [b.text for b in doc.blocks if b.role != "body"] == []
    assert any(b.text == "2 Method" for b in doc.blocks)


def test_roles_follow_the_sections() -> None:
    blocks = [
        Block(text="Retrieval for generation", kind="heading", page=1),
        Block(text="Jane Doe, John Smith", page=1),
        Block(text="1 Stanford University", page=1),
        Block(text="1 Introduction", kind="heading", page=1, section=["1 Introduction"]),
        Block(text="Models that retrieve passages before they answer need no retraining when the passages "
                   "change, which keeps what they know up to date at little cost in accuracy.", page=1,
              section=["1 Introduction"]),
        Block(text="References", kind="heading", page=9, section=["References"], references=True),
        Block(text="Lewis, P., Perez, E. 2020. Retrieval-augmented generation. In NeurIPS.", page=9,
              section=["References"], references=True),
    ]
    assert [b.role for b in paper_roles(blocks)] == ["body", "front_matter", "front_matter", "body", "body",
                                                     "references", "references"]


def test_a_notes_navigation_and_byline_are_front_matter(notes_dir: Path) -> None:
    blocks = note_roles([Block(text="Skip to content"), Block(text="By Jane Doe · 5 min read"),
                         Block(text="Q-Filters compresses the KV cache by projecting keys on a direction learned "
                                    "once per head, keeping the entries that matter for future queries.")])
    assert [b.role for b in blocks] == ["front_matter", "front_matter", "body"]
    doc, _ = parse_note(notes_dir / "fr" / "google-ouvre-le-capot-des-llms.md")  # a saved web page
    aside = [b.text for b in doc.blocks if b.role == "front_matter"]
    assert any(t.startswith("Aller au contenu") for t in aside) and any(t.startswith("Publié") for t in aside)
    assert len(aside) <= 4 and sum(b.role == "body" for b in doc.blocks) >= 20
    assert all(b.role == "body" for b in doc.blocks if b.kind == "heading")  # headings keep their sections
