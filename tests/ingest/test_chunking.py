from __future__ import annotations

import re
from pathlib import Path

import pytest

from veille.ingest.chunking import ChunkingOptions, chunk_document, estimate_tokens
from veille.ingest.documents import Block, Document
from veille.ingest.notes import parse_note
from veille.ingest.pdf import parse_pdf


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _doc(*texts: str, lang: str = "en") -> Document:
    return Document(doc_id="t", kind="note", title="t", source="t", lang=lang, content_hash="h",
                    blocks=[Block(text=t) for t in texts])


def assert_covers(doc: Document, chunks: list) -> None:
    """Nothing of real text is lost: the document's words, in order, are a subsequence of the
    chunks' words (overlap repeats some words, which a subsequence allows)."""
    doc_words = _norm(" ".join(b.text for b in doc.blocks if len(re.findall(r"\w", b.text)) >= 2)).split()
    chunk_words = iter(_norm(" ".join(c.text for c in chunks)).split())
    missing = [w for w in doc_words if not any(w == c for c in chunk_words)]
    assert not missing, missing[:10]


@pytest.mark.slow
def test_papers_chunk_within_budget_and_cover_their_text(papers_dir: Path) -> None:
    opts = ChunkingOptions()
    for path in sorted(papers_dir.glob("*.pdf"))[:4]:
        doc = parse_pdf(path)
        chunks = chunk_document(doc, opts)
        assert chunks and all(c.tokens <= opts.max_tokens for c in chunks)
        assert all(c.page_start and c.page_end and c.page_start <= c.page_end for c in chunks)
        assert [c.position for c in chunks] == list(range(len(chunks)))
        assert_covers(doc, chunks)


def test_notes_chunks_cover_text_and_carry_language(notes_dir: Path) -> None:
    doc, _ = parse_note(notes_dir / "fr" / "state-of-ai-2024-notes.md")
    chunks = chunk_document(doc)
    assert_covers(doc, chunks)
    assert {c.lang for c in chunks} == {"fr", "en"}  # the mixed note has chunks in both
    ko, _ = parse_note(notes_dir / "ko" / "hf-daily-papers-2024-06-19.md")
    assert {c.lang for c in chunk_document(ko)} == {"ko"}


def test_chunks_keep_their_sentences_offsets(notes_dir: Path) -> None:
    """The reader quotes these spans instead of splitting passages again: each must be a whole,
    stripped sentence of the chunk's text, in order."""
    for path in [notes_dir / "fr" / "state-of-ai-2024-notes.md", notes_dir / "ko" / "hf-daily-papers-2024-06-19.md"]:
        for chunk in chunk_document(parse_note(path)[0]):
            pieces = [chunk.text[a:b] for a, b in chunk.sentences]
            assert pieces and all(p and p == p.strip() for p in pieces)
            assert [a for a, _ in chunk.sentences] == sorted(a for a, _ in chunk.sentences)
            assert _norm(" ".join(pieces)) == _norm(chunk.text)
    chunk = chunk_document(_doc("First sentence here. Second one there.", "Another block follows."))[0]
    assert [chunk.text[a:b] for a, b in chunk.sentences] == [
        "First sentence here.", "Second one there.", "Another block follows."]


def test_deterministic_chunks_and_ids(notes_dir: Path) -> None:
    path = notes_dir / "fr" / "tech-digest-2025-06-06.md"
    first = chunk_document(parse_note(path)[0])
    second = chunk_document(parse_note(path)[0])
    assert [c.model_dump() for c in first] == [c.model_dump() for c in second]
    assert len({c.chunk_id for c in first}) == len(first)


def test_changed_text_changes_only_affected_ids() -> None:
    a = chunk_document(_doc("First paragraph is a little longer.", "Second paragraph is here."),
                       ChunkingOptions(target_tokens=16, min_tokens=1, overlap_tokens=0))
    b = chunk_document(_doc("First paragraph is a little longer.", "Second paragraph changed."),
                       ChunkingOptions(target_tokens=16, min_tokens=1, overlap_tokens=0))
    assert a[0].chunk_id == b[0].chunk_id and a[1].chunk_id != b[1].chunk_id


def test_budget_overlap_and_long_sentences() -> None:
    sentences = [f"Sentence number {i} talks about retrieval and attention." for i in range(60)]
    doc = _doc(" ".join(sentences), "word " * 400)
    opts = ChunkingOptions(max_tokens=128, target_tokens=96, overlap_tokens=24)
    chunks = chunk_document(doc, opts)
    assert all(estimate_tokens(c.text) <= opts.max_tokens for c in chunks)
    first, second = chunks[0].text, chunks[1].text
    assert first.split(". ")[-1].rstrip(".") in second  # the last sentence carries over
    assert_covers(doc, chunks)


def test_tiny_fragments_never_stand_alone() -> None:
    doc = _doc("•", "3", "A real paragraph with enough words to matter.", "—")
    chunks = chunk_document(doc)
    assert len(chunks) == 1 and chunks[0].text == "A real paragraph with enough words to matter."
    assert chunk_document(_doc("*", "12")) == []


def test_headings_start_chunks_and_set_sections() -> None:
    blocks = [Block(text="1 Intro", kind="heading", section=["1 Intro"])]
    blocks += [Block(text=f"Intro sentence number {i} is here.", section=["1 Intro"]) for i in range(12)]
    blocks += [Block(text="2 Method", kind="heading", section=["2 Method"]),
               Block(text="Method text goes here.", section=["2 Method"])]
    doc = Document(doc_id="d", kind="note", title="t", source="s", lang="en", content_hash="h", blocks=blocks)
    chunks = chunk_document(doc, ChunkingOptions(min_tokens=16))
    assert chunks[-1].text.startswith("2 Method") and chunks[-1].section == ["2 Method"]
    assert chunks[0].section == ["1 Intro"]


def test_a_section_tail_cut_off_by_the_size_stays_with_its_section() -> None:
    blocks = [Block(text="1 Results", kind="heading", section=["1 Results"])]
    blocks += [Block(text=f"Result sentence number {i} says something.", section=["1 Results"]) for i in range(9)]
    blocks += [Block(text="The harm score falls by 10.33% in the end.", section=["1 Results"]),
               Block(text="2 Next", kind="heading", section=["2 Next"])]
    blocks += [Block(text=f"Next section sentence {i} is about another paper.", section=["2 Next"]) for i in range(4)]
    doc = Document(doc_id="d", kind="note", title="t", source="s", lang="en", content_hash="h", blocks=blocks)
    chunks = chunk_document(doc, ChunkingOptions(target_tokens=64, overlap_tokens=0, min_tokens=32))
    holder = next(c for c in chunks if "10.33%" in c.text)
    assert holder.section == ["1 Results"] and "2 Next" not in holder.text and holder.tokens <= 512
    assert [c for c in chunks if c.text.startswith("2 Next")]
    assert_covers(doc, chunks)


def test_short_korean_sentences_and_short_documents_are_kept() -> None:
    assert len(chunk_document(_doc("톰은 웃었다."))) == 1  # five syllables: as much as "Tom laughed."
    assert len(chunk_document(_doc("Hi there."))) == 1  # a whole document that is short is still a document
    chunks = chunk_document(_doc("A real paragraph with enough words to matter.", "톰은", "웃었다."))
    assert len(chunks) == 1 and "웃었다" in chunks[0].text  # fragments still merge into a neighbour


def test_one_enormous_paragraph_is_split_in_linear_time() -> None:
    from veille.ingest.sentence_split import WINDOW, _windows, split_sentences

    text = "Le cache grossit avec le contexte. " * 3000 + "x" * (2 * WINDOW)  # 105 KB, one line
    pieces = _windows(text)
    assert "".join(pieces) == text and max(len(p) for p in pieces) <= WINDOW
    sentences = split_sentences(text, "fr")
    assert len(sentences) >= 3000 and all(len(s) <= WINDOW for s in sentences)


def test_a_chunk_holds_one_role() -> None:
    body = "Retrieval keeps a model's knowledge current without retraining it on new text. " * 3
    entry = "Lewis, P., Perez, E. 2020. Retrieval-augmented generation. In Proceedings of NeurIPS."
    doc = Document(doc_id="t", kind="paper", title="t", source="t", lang="en", content_hash="h",
                   blocks=[Block(text=body), Block(text=entry, role="references", references=True),
                           Block(text=entry, role="references", references=True)])
    chunks = chunk_document(doc)  # the whole document fits one chunk's budget, yet makes two
    assert [(c.role, c.references) for c in chunks] == [("body", False), ("references", True)]
    assert entry not in chunks[0].text and body.strip() not in chunks[1].text


def test_a_chart_s_figures_make_no_chunk() -> None:
    ticks = " ".join(str(n) for n in range(0, 800, 7))
    prose = "The hybrid search beats either side alone on every set we measured, by two to five points. " * 4
    opts = ChunkingOptions(max_tokens=200, target_tokens=120, min_tokens=20, overlap_tokens=0)
    assert [c.text for c in chunk_document(_doc(prose, ticks), opts)] == [prose.strip()]
    worded = " ".join(f"{n} points" for n in range(0, 400, 7))
    assert worded in " ".join(c.text for c in chunk_document(_doc(prose, worded), opts))  # words: kept


def test_a_passage_in_another_language_gets_its_own_language() -> None:
    french = ("La compression du cache clé-valeur réduit la mémoire occupée pendant la génération, au prix d'une "
              "légère perte de qualité que les auteurs mesurent sur plusieurs jeux de données de référence. ")
    english = ("Compressing the key-value cache cuts the memory a model holds while it generates, at a small "
               "cost in quality that the authors measure on several reference datasets. ")
    doc = Document(doc_id="t", kind="note", title="t", source="t", lang="fr", langs=["fr", "en"],
                   content_hash="h", blocks=[Block(text=french * 3), Block(text="Abstract", kind="heading"),
                                             Block(text=english * 3)])
    assert [c.lang for c in chunk_document(doc, ChunkingOptions(max_tokens=120, min_tokens=20))] == ["fr", "en"]
    one_language = doc.model_copy(update={"langs": ["fr"]})  # a language the document is not written in
    assert {c.lang for c in chunk_document(one_language, ChunkingOptions(max_tokens=120, min_tokens=20))} == {"fr"}
