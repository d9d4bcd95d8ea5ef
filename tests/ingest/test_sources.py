"""Discovery: every input is either loaded or reported, including odd files a folder may hold."""

from __future__ import annotations

import os
from pathlib import Path

from veille.ingest.sources import discover


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
