"""Digest → Markdown: a briefing a senior engineer reads in five minutes and checks in one click."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from veille.digest.brief import CitedText, Digest, DigestEntry
from veille.languages import text_for, typography
from veille.reader.answer import Citation


def marks(item: CitedText) -> str:
    """'text [1][2]'."""
    return f"{item.text} {''.join(f'[{n}]' for n in item.citations)}".strip()


def _period(d: Digest) -> str:
    if not d.since and not d.until:
        return text_for(d.lang, "all_time")
    start = d.since.date().isoformat() if d.since else "…"
    end = (d.until or d.generated_at).date().isoformat()
    return f"{start} → {end}"


def label(lang: str, key: str) -> str:
    """'Label:', with the colon as the language sets it ('Période :' in French)."""
    return text_for(lang, key) + typography(lang, "colon")


def _figures(d: Digest) -> list[str]:
    kinds = Counter(text_for(d.lang, f"kind_{e.kind}") for e in d.documents)
    langs = Counter(e.lang for e in d.documents)
    return [f"## {text_for(d.lang, 'figures')}", "",
            f"- {label(d.lang, 'considered')} {d.considered}",
            f"- {label(d.lang, 'selected')} {d.selected}"
            + (f" ({text_for(d.lang, 'left_out', n=d.left_out, shown=d.selected)})" if d.left_out else ""),
            f"- {label(d.lang, 'period')} {_period(d)}",
            f"- {label(d.lang, 'by_kind')} " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()),
            f"- {label(d.lang, 'by_lang')} " + ", ".join(f"{k} {n}" for k, n in langs.most_common()), ""]


def _entry(d: Digest, e: DigestEntry) -> list[str]:
    date = f" ({e.date.date().isoformat()})" if e.date else ""
    out = [f"### {e.title}{date}", ""]
    if e.theme:
        out.append(f"*{label(d.lang, 'theme')} {e.theme}*")
        out.append("")
    if e.new:
        out += [f"**{text_for(d.lang, 'new')}.** {marks(e.new)}", ""]
    if e.key_points:
        out += [f"**{text_for(d.lang, 'key_points')}**", ""] + [f"- {marks(p)}" for p in e.key_points] + [""]
    if e.technical:
        out += [f"**{text_for(d.lang, 'technical')}**", ""] + [f"- {marks(p)}" for p in e.technical] + [""]
    out += [f"{label(d.lang, 'source')} <{e.link}>", ""]
    return out


def _sources(d: Digest) -> list[str]:
    """One numbered entry per document (title, link, pages), its quotes [n] under it."""
    by_doc: dict[str, list[Citation]] = {}
    for c in d.citations:
        by_doc.setdefault(c.doc_id, []).append(c)
    out = []
    for i, cites in enumerate(by_doc.values(), start=1):
        pages = sorted({c.page for c in cites if c.page})
        where = f" ({text_for(d.lang, 'page')} {', '.join(map(str, pages))})" if pages else ""
        out.append(f"{i}. **{cites[0].title}** — <{cites[0].url}>{where}")
        for c in cites:
            page = f" ({text_for(d.lang, 'page')} {c.page})" if c.page and len(pages) > 1 else ""
            quote = typography(d.lang, "open_quote") + " ".join(c.quote.split()) + typography(d.lang, "close_quote")
            out.append(f"   - [{c.n}]{page} {quote}")
    return out


def render(d: Digest, link: Callable[[Citation], str] | None = None) -> str:
    """The whole digest as Markdown; with `link`, every [n] of it is a link (a reference definition per
    citation at the end, so the text reads the same)."""
    out = [f"# {d.title} — {d.generated_at.date().isoformat()}", ""]
    out += [f"## {text_for(d.lang, 'summary')}", "",
            text_for(d.lang, "summary_lead" if d.topic or len(d.themes) < 2 else "summary_lead_recent",
                     selected=d.selected, considered=d.considered), ""]
    out += [f"- {marks(s)}" for s in d.summary] + [""]
    out += _figures(d)
    if len(d.themes) > 1:
        out += [f"## {text_for(d.lang, 'themes')}", ""]
        out += [f"- **{t.name}** — {len(t.doc_ids)}" for t in d.themes] + [""]
    out += [f"## {text_for(d.lang, 'documents')}", ""]
    for e in d.documents:
        out += _entry(d, e)
    if d.insights:
        out += [f"## {text_for(d.lang, 'insights')}", ""] + [f"- {marks(i)}" for i in d.insights] + [""]
    out += [f"## {text_for(d.lang, 'sources')}", "", *_sources(d), ""]
    out += ["---", "", text_for(d.lang, "generated", date=d.generated_at.strftime("%Y-%m-%d %H:%M UTC"),
                                mode=d.mode)]
    if link is not None and d.citations:
        out += ["", *(f"[{c.n}]: <{link(c)}>" for c in d.citations)]
    return "\n".join(out) + "\n"
