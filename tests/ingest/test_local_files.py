"""Discovery: every input is either loaded or reported, including odd files a folder may hold."""

from __future__ import annotations

import os
from pathlib import Path

from veille.ingest.local_files import discover


def test_odd_files_are_reported_not_passed_over(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text("# Good\n\nA fine note.\n", encoding="utf-8")
    os.mkfifo(tmp_path / "pipe.md")
    (tmp_path / "broken.md").symlink_to(tmp_path / "nowhere.md")
    (tmp_path / "loop1.md").symlink_to(tmp_path / "loop2.md")
    (tmp_path / "loop2.md").symlink_to(tmp_path / "loop1.md")
    found = discover([tmp_path, tmp_path / "pipe.md"])
    assert found.files == [tmp_path / "good.md"]
    assert dict(found.skipped) == {str(tmp_path / "broken.md"): "broken symbolic link",
                                   str(tmp_path / "loop1.md"): "symbolic link loop",
                                   str(tmp_path / "loop2.md"): "symbolic link loop",
                                   str(tmp_path / "pipe.md"): "not a regular file (FIFO, socket or device)"}


def test_a_note_or_record_over_the_text_limit_is_refused_and_the_rest_goes_on(tmp_path: Path) -> None:
    from veille.ingest.documents import Document
    from veille.ingest.local_files import load_file

    big = tmp_path / "dump.txt"
    big.write_text("mot " * 1000, encoding="utf-8")  # 4,000 bytes on one line
    (loaded,) = list(load_file(big, max_text_bytes=1000))
    assert loaded.error is not None and "VEILLE_MAX_TEXT_MB" in loaded.error.message
    assert loaded.error.source == str(big)
    records = tmp_path / "export.jsonl"
    good = '{"id": "%s", "title": "T", "text": "Un texte court sur le cache KV."}'
    records.write_text("\n".join([good % "a", '{"id": "b", "text": "%s"}' % ("x" * 2000), good % "c"]) + "\n",
                       encoding="utf-8")
    items = list(load_file(records, max_text_bytes=1000))
    assert [type(i.document).__name__ if i.document else i.error.source for i in items] == [  # type: ignore[union-attr]
        Document.__name__, f"{records}:2", Document.__name__]
