"""BENCHMARKS.md sections: a rerun replaces today's figures and keeps the baseline beside them."""

from __future__ import annotations

from pathlib import Path

from benchmarks.report import section_body, with_baseline, write_section


def test_a_rerun_keeps_the_baseline(tmp_path: Path) -> None:
    path = tmp_path / "BENCHMARKS.md"
    write_section(path, "Speed", "| run | 10 ms |")
    write_section(path, "Speed", with_baseline(path, "Speed", "| run | 8 ms |"))  # the first figures: baseline
    assert section_body(path, "Speed") == "| run | 8 ms |\n\nBaseline:\n\n| run | 10 ms |"
    write_section(path, "Speed", "| run | 7 ms |")  # a later run replaces today's figures only
    assert section_body(path, "Speed") == "| run | 7 ms |\n\nBaseline:\n\n| run | 10 ms |"
    write_section(path, "Other", "x")
    assert section_body(path, "Speed", ) is not None and section_body(path, "Other") == "x"
