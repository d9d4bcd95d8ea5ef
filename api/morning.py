"""The morning digest: what a watch run brought in, as a dated Markdown file that opens well in Obsidian.

The brief itself is the digest of the run's window (veille.engines.digesting: grouped by theme, every
claim cited); this module adds the YAML front matter (date, counts, subscriptions, tags), the figures
of the run (collected / analysed / selected) and a file name that never overwrites an earlier brief.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from veille.engines.digest_render import label
from veille.engines.i18n import text_for
from veille.engines.models import Digest
from veille.ingest.files import atomic_write
from veille.watching import WatchReport

if TYPE_CHECKING:
    from veille.kb import KnowledgeBase

MAX_DOCS = 12  # a brief read with coffee, not the whole harvest


def write_morning_digest(kb: KnowledgeBase, report: WatchReport, folder: Path, lang: str) -> Path:
    """Write the brief of `report`'s window into `folder` and return its path."""
    digest = kb.digest(since=report.started_at, lang=lang, max_docs=MAX_DOCS)
    chosen = {e.doc_id for e in digest.documents}
    tags = {t for r in kb.documents() if r.doc_id in chosen for t in r.metadata.get("tags", [])}
    text = front_matter(report, digest, tags) + body(report, digest)
    return _write_new(folder, report.started_at, text)


def front_matter(report: WatchReport, digest: Digest, tags: set[str] | None = None) -> str:
    """YAML front matter; values are JSON scalars and lists, which YAML reads as they are."""
    items = report.report
    fields = {
        "title": text_for(digest.lang, "morning_title", day=report.started_at.date().isoformat()),
        "date": report.started_at.date().isoformat(),
        "generated": digest.generated_at.isoformat(timespec="seconds"),
        "lang": digest.lang,
        "collected": sum(r.collected for r in report.runs),
        "analysed": items.count("added", "updated"),
        "selected": digest.selected,
        "subscriptions": [r.id for r in report.runs],
        "tags": ["veille", *sorted({_tag(t) for t in (tags or set()) | {t.name for t in digest.themes}})],
    }
    lines = [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in fields.items()]
    return "---\n" + "\n".join(lines) + "\n---\n\n"


def body(report: WatchReport, digest: Digest) -> str:
    """The title, the run's figures, then the digest without its own title line."""
    lang, items = digest.lang, report.report
    since = text_for(lang, "since", when=report.started_at.strftime("%Y-%m-%d %H:%M UTC"))
    lines = [f"# {text_for(lang, 'morning_title', day=report.started_at.date().isoformat())}", "",
             f"- 📡 **{label(lang, 'collected')}** {sum(r.collected for r in report.runs)}",
             f"- 🔍 **{label(lang, 'analysed')}** {items.count('added', 'updated')}",
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
