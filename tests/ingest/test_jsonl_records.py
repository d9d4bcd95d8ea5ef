from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import shared_path
from veille.errors import ParseError
from veille.ingest.documents import Document
from veille.ingest.jsonl_records import read_records


def test_beir_corpus_loads_with_record_ids() -> None:
    docs = list(read_records(shared_path("eval", "piaf-fr", "corpus.jsonl")))
    assert all(isinstance(d, Document) for d in docs)
    first = docs[0]
    assert isinstance(first, Document) and first.doc_id == "fr0_0" and first.title == "Sport"
    assert first.lang == "fr" and first.kind == "record"


def test_bad_lines_are_reported_and_the_rest_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join([
        json.dumps({"_id": "a", "title": "A", "text": "First good record with text.", "lang": "en",
                    "url": "https://example.org/a", "date": "2024-06-01", "metadata": {"tag": "x"}}),
        '{"_id": "b", "text": "unterminated',
        json.dumps({"title": "no id", "text": "orphan"}),
        json.dumps({"id": "c", "text": ""}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": 7, "text": "Second good record, numeric id."}),
    ]) + "\n", encoding="utf-8")
    out = list(read_records(path))
    docs = [d for d in out if isinstance(d, Document)]
    errors = {e.source: e.message for e in out if isinstance(e, ParseError)}
    assert [d.doc_id for d in docs] == ["a", "7"]
    assert docs[0].source == "https://example.org/a" and docs[0].metadata == {"tag": "x"}
    assert docs[0].date is not None and docs[0].date.day == 1
    assert set(errors) == {f"{path}:2", f"{path}:3", f"{path}:4", f"{path}:5"}
    assert errors[f"{path}:2"].startswith("malformed JSON")


def test_json_array_export(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps([{"id": "x", "text": "Une note exportée en JSON, en français."}]))
    (doc,) = list(read_records(path))
    assert isinstance(doc, Document) and doc.doc_id == "x" and doc.lang == "fr"


def test_each_record_is_named_by_its_line_or_id(tmp_path: Path) -> None:
    from veille.ingest.local_files import load_file
    path = tmp_path / "r.jsonl"
    rows = [{"_id": "a", "text": "First record."}, {"_id": "b", "text": "Second.", "url": "https://example.org/b"}]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert [x.source for x in load_file(path)] == [f"{path}:1", f"{path} [b]"]
    copy = [x.source for x in load_file(path, origin="/home/me/records.jsonl")]
    assert copy == ["/home/me/records.jsonl:1", "/home/me/records.jsonl [b]"]


def test_bad_lines_never_stop_the_rest_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join([
        '{"id": "a", "text": "A good record about KV caches."}',
        '{"id": "b", "text": "A lone surrogate \\ud800 in otherwise fine text."}',
        "[" * 100_000 + "]" * 100_000,
        '{"id": "a", "text": "The same id again."}',
        '{"id": "c", "text": "The last good record."}']), encoding="utf-8")
    out = list(read_records(path))
    docs = [r for r in out if not isinstance(r, ParseError)]
    errors = {str(e.source): e.message for e in out if isinstance(e, ParseError)}
    assert [d.doc_id for d in docs] == ["a", "b", "c"] and "?" in docs[1].text
    assert errors == {f"{path}:3": "JSON nested too deeply to read",
                      f"{path}:4": "id 'a' already used on line 1; this record was not stored"}
