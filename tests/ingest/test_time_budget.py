"""The time budget of an input: the slow loops stop it with a reason that names it."""

from __future__ import annotations

import time
from pathlib import Path

import pymupdf
import pytest

from veille.errors import ParseError
from veille.ingest.chunking import ChunkingOptions, chunk_document
from veille.ingest.documents import Block, Document
from veille.ingest.local_files import load_file
from veille.ingest.time_budget import budget, check


def test_check_raises_once_the_budget_of_the_input_is_spent() -> None:
    check()  # no budget: nothing to check
    with budget(60, "a.md"):
        check()
    with budget(0.01, "slow.md"), pytest.raises(ParseError, match="VEILLE_FILE_SECONDS") as err:
        time.sleep(0.02)
        check()
    assert err.value.source == "slow.md"
    check()  # the budget ends with its input


def test_chunking_a_document_stops_past_its_budget() -> None:
    lines = "\n".join(f"Ligne {i} sur le cache KV." for i in range(200))
    doc = Document(doc_id="note:x", source="/notes/x.md", kind="note", title="X", lang="fr", content_hash="h",
                   blocks=[Block(kind="paragraph", text=lines)])

    def slow(text: str) -> int:
        time.sleep(0.005)
        return len(text) // 4

    assert chunk_document(doc, ChunkingOptions(), slow)
    with pytest.raises(ParseError, match="VEILLE_FILE_SECONDS") as err:
        chunk_document(doc, ChunkingOptions(max_seconds=0.05), slow)
    assert err.value.source == "/notes/x.md"


def test_a_pdf_past_its_budget_fails_alone(tmp_path: Path) -> None:
    pdf = pymupdf.open()
    for i in range(30):
        pdf.new_page().insert_text((72, 72), f"Page {i}: a real sentence of text about attention.")
    pdf.save(tmp_path / "long.pdf")
    (loaded,) = list(load_file(tmp_path / "long.pdf", max_seconds=1e-6))
    assert loaded.error is not None and "VEILLE_FILE_SECONDS" in loaded.error.message
    (whole,) = list(load_file(tmp_path / "long.pdf", max_seconds=60))
    assert whole.document is not None and whole.document.pages == 30
