"""The morning digest: what a watch run brought in, as a dated Markdown file that opens well in Obsidian.

The brief itself is the digest of the run's window (veille.digest.build: grouped by theme, every
claim cited); this module adds the YAML front matter (date, counts, subscriptions, tags), the figures
of the run (collected / analysed / selected) and a file name that never overwrites an earlier brief.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from veille.digest.brief import Digest
from veille.digest.markdown import label
from veille.ingest.atomic_files import atomic_write
from veille.languages import text_for
from veille.watch.run import WatchReport, summary_counts

if TYPE_CHECKING:
    from veille.kb import KnowledgeBase



def write_morning_digest(kb: KnowledgeBase, report: WatchReport, folder: Path, lang: str) -> Path:
    """Write the brief of `report`'s window into `folder` and return its path."""
    digest = kb.digest(since=report.started_at, lang=lang, max_docs=kb.settings.digest.morning_max_docs)
    records = [kb.document(e.doc_id) for e in digest.documents]
    tags = {t for r in records if r is not None for t in r.metadata.get("tags", [])}
    counts = summary_counts(report)
    text = front_matter(report, digest, counts, tags) + body(report, digest, counts)
    return _write_new(folder, report.started_at, text)


def front_matter(report: WatchReport, digest: Digest, counts: dict[str, Any], tags: set[str] | None = None) -> str:
    """YAML front matter; values are JSON scalars and lists, which YAML reads as they are."""
    fields = {
        "title": text_for(digest.lang, "morning_title", day=report.started_at.date().isoformat()),
        "date": report.started_at.date().isoformat(),
        "generated": digest.generated_at.isoformat(timespec="seconds"),
        "lang": digest.lang,
        "collected": counts["collected"],
        "analysed": counts["added"],
        "selected": digest.selected,
        "subscriptions": [r.id for r in report.runs],
        "tags": ["veille", *sorted({_tag(t) for t in (tags or set()) | {t.name for t in digest.themes}})],
    }
    lines = [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in fields.items()]
    return "---\n" + "\n".join(lines) + "\n---\n\n"


def body(report: WatchReport, digest: Digest, counts: dict[str, Any]) -> str:
    """The title, the run's figures (summary_counts), then the digest without its own title line."""
    lang = digest.lang
    since = text_for(lang, "since", when=report.started_at.strftime("%Y-%m-%d %H:%M UTC"))
    lines = [f"# {text_for(lang, 'morning_title', day=report.started_at.date().isoformat())}", "",
             f"- 📡 **{label(lang, 'collected')}** {counts['collected']}",
             f"- 🔍 **{label(lang, 'analysed')}** {counts['added']}",
             f"- ⭐ **{label(lang, 'kept')}** {digest.selected}",
             f"- 📅 **{label(lang, 'period')}** {since}",
             f"- 🛰️ **{label(lang, 'subscriptions')}** " + ", ".join(r.source for r in report.runs), ""]
    rest = digest.markdown.split("\n", 1)[1] if digest.markdown.startswith("# ") else digest.markdown
    return "\n".join(lines) + "\n" + rest.lstrip("\n")


def _tag(name: str) -> str:
    """An Obsidian tag: no spaces, no '#'."""
    return "-".join(name.replace("#", "").lower().split())[:40] or "theme"


def _write_new(folder: Path, when: datetime, text: str) -> Path:
    """Atomically create veille-YYYY-MM-DD.md, or -HHMM / -HHMMSS when a brief of that day exists."""
    for stamp in (f"{when:%Y-%m-%d}", f"{when:%Y-%m-%d-%H%M}", f"{when:%Y-%m-%d-%H%M%S}"):
        path = folder / f"veille-{stamp}.md"
        if not path.exists():
            break
    atomic_write(path, text.encode("utf-8"))
    return path
