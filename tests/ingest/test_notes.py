from __future__ import annotations

from pathlib import Path

import pytest

from veille.errors import EmptyInputError, ParseError
from veille.ingest.notes import parse_note


def test_korean_and_french_notes_are_tagged(notes_dir: Path) -> None:
    ko, _ = parse_note(notes_dir / "ko" / "hf-daily-papers-2024-06-19.md")
    assert ko.lang == "ko" and ko.kind == "note"
    assert "2406.11931" in ko.references  # arXiv links become references
    assert ko.date is not None and ko.date.year == 2024
    for path in sorted((notes_dir / "fr").iterdir()):
        doc, _ = parse_note(path)
        assert doc.lang == "fr", path


def test_mixed_language_note_lists_both(notes_dir: Path) -> None:
    doc, _ = parse_note(notes_dir / "fr" / "state-of-ai-2024-notes.md")
    assert doc.langs[:2] in (["fr", "en"], ["en", "fr"])


def test_markdown_structure(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text(
        "# Titre\n\nIntro avec un [lien](https://arxiv.org/abs/2005.11401v4).\n\n## Partie A\n\n"
        "- premier point\n  - sous-point\n- second point\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "```python\nprint('x')\n```\n", encoding="utf-8")
    doc, warnings = parse_note(path)
    kinds = [(b.kind, b.text) for b in doc.blocks]
    assert doc.title == "Titre" and not warnings
    assert ("paragraph", "Intro avec un lien.") in kinds
    assert ("list", "- premier point\n  - sous-point\n- second point") in kinds
    assert ("table", "a | b\n1 | 2") in kinds
    assert ("code", "print('x')") in kinds
    assert next(b for b in doc.blocks if b.kind == "list").section == ["Titre", "Partie A"]
    assert doc.references == ["2005.11401"]


def test_html_note(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>t</title><script>var x=1;</script></head><body><nav>menu</nav>"
        "<h1>RAG notes</h1><p>Retrieval first, then generation.</p><h2>Steps</h2>"
        "<ul><li>retrieve</li><li>generate</li></ul><table><tr><th>k</th><th>nDCG</th></tr>"
        "<tr><td>10</td><td>0.61</td></tr></table></body></html>", encoding="utf-8")
    doc, _ = parse_note(path)
    texts = [(b.kind, b.text, b.section) for b in doc.blocks]
    assert ("heading", "RAG notes", ["RAG notes"]) in texts
    assert ("list", "- retrieve\n- generate", ["RAG notes", "Steps"]) in texts
    assert ("table", "k | nDCG\n10 | 0.61", ["RAG notes", "Steps"]) in texts
    assert "menu" not in doc.text and "var x" not in doc.text


def test_plain_text_headings(tmp_path: Path) -> None:
    path = tmp_path / "log.txt"
    path.write_text("Reading log\n\nThis week I read a long paper about routing in experts.\n",
                    encoding="utf-8")
    doc, _ = parse_note(path)
    assert doc.blocks[0].kind == "heading" and doc.blocks[1].section == ["Reading log"]


@pytest.mark.parametrize(("encoding", "text"), [
    ("latin-1", "Les modèles de langue à très grande échelle coûtent cher à entraîner. " * 3),
    ("cp949", "검색 증강 생성은 관련 문서를 먼저 찾은 뒤 답변을 생성하는 방법입니다. " * 3),
])
def test_legacy_encodings_are_decoded_with_a_warning(tmp_path: Path, encoding: str, text: str) -> None:
    path = tmp_path / f"note-{encoding}.txt"
    path.write_bytes(text.encode(encoding))
    doc, warnings = parse_note(path)
    assert doc.text.strip() == text.strip()
    assert warnings and "not UTF-8" in warnings[0]


def test_empty_and_binary_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.md"
    empty.write_text("  \n")
    binary = tmp_path / "blob.txt"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(EmptyInputError, match="empty") as err:
        parse_note(empty)
    assert err.value.source == str(empty)
    with pytest.raises(ParseError, match="binary"):
        parse_note(binary)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_notes_are_text(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "note.md"
    path.write_bytes("# Cache KV\n\nUne note exportée en UTF-16 sur la compression du cache KV.\n".encode(encoding))
    doc, warnings = parse_note(path)
    assert doc.title == "Cache KV" and doc.lang == "fr" and warnings == [f"{path.resolve()}: decoded as {encoding} "
                                                                          "(not UTF-8)"]
