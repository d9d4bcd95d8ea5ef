"""Helpers shared by the benchmark scripts: machine description and BENCHMARKS.md sections."""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path


def machine() -> str:
    """One line describing the machine the figures come from."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({cpu}){mem}, Python {platform.python_version()}"


def _section(title: str) -> re.Pattern[str]:
    """The `## title` section of a Markdown text, its body as group 1."""
    return re.compile(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", re.S | re.M)


def write_section(path: Path, title: str, body: str) -> None:
    """Replace (or append) the `## title` section of a Markdown file, keeping its "Baseline" part."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    kept = section_body(path, title) or ""
    if "\n\nBaseline" not in body and "\n\nBaseline" in kept:  # today's figures stay beside the baseline
        body = body.rstrip() + kept[kept.find("\n\nBaseline"):]
    section = f"## {title}\n\n{body.strip()}\n"
    pattern = _section(title)
    text = pattern.sub(lambda _: section + "\n", text) if pattern.search(text) else (
        text.rstrip() + "\n\n" + section)
    path.write_text(text.rstrip() + "\n", encoding="utf-8")


def section_body(path: Path, title: str) -> str | None:
    """The body of the `## title` section of a Markdown file, None when there is none."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    found = _section(title).search(text)
    return found.group(1).strip() if found else None


def with_baseline(path: Path, title: str, body: str) -> str:
    """`body` (today's figures) followed by the section's baseline, the figures a rerun is compared with:
    the section's "Baseline" part as it stands, or, for a section without one, its whole previous body."""
    old = section_body(path, title)
    if not old:
        return body
    marker = old.find("\n\nBaseline")
    baseline = old[marker:].strip() if marker >= 0 else f"Baseline:\n\n{old}"
    return f"{body}\n\n{baseline}"
