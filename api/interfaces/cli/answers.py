"""`veille ask` and `veille digest`: registered on the main command group."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from veille.engines.models import Answer, Digest
from veille.index.models import SearchFilters
from veille.interfaces.cli.common import EXIT_ERROR, with_kb

_SPAN = re.compile(r"^(\d+)\s*([hdwm])$")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def parse_since(value: str | None, now: datetime | None = None) -> datetime | None:
    """'7d', '24h', '2w', '3m' (months of 30 days) or an ISO date → a UTC datetime."""
    if not value:
        return None
    now = now or datetime.now(UTC)
    m = _SPAN.match(value.strip().lower())
    if m:
        n, unit = int(m.group(1)), m.group(2)
        return now - (timedelta(days=30 * n) if unit == "m" else timedelta(**{_UNITS[unit]: n}))
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r}: use 7d, 24h, 2w, 3m or a date such as 2025-06-01") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _answer_json(a: Answer) -> dict:
    return {"question": a.question, "answer": a.answer, "lang": a.lang, "mode": a.mode, "found": a.found,
            "citations": [c.model_dump() for c in a.citations], "warnings": a.warnings, "dropped": a.dropped,
            "timings": a.timings}


def _print_answer(a: Answer) -> None:
    click.echo(a.answer)
    if a.citations:
        click.echo("")
    for c in a.citations:
        where = f", p. {c.page}" if c.page else ""
        click.echo(f"[{c.n}] {c.title[:70]}{where} — {c.url}")
        click.echo(f"    « {' '.join(c.quote.split())[:240]} »")
    for w in a.warnings:
        click.echo(f"warning: {w}", err=True)


@click.command()
@click.argument("question")
@click.option("-k", "k", type=int, default=8, show_default=True, help="Passages to read.")
@click.option("--lang", type=click.Choice(["en", "fr", "ko"]), help="Answer language (default: the question's).")
@click.option("--doc", "doc_ids", multiple=True, help="Only this document id (repeatable).")
@click.option("--kind", multiple=True, help="Only this source type: paper, note, record.")
@click.option("--no-llm", is_flag=True, help="Extractive answer even when an LLM is configured.")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def ask(question: str, k: int, lang: str | None, doc_ids: tuple[str, ...], kind: tuple[str, ...], no_llm: bool,
        as_json: bool) -> None:
    """Answer a question with cited passages: veille ask "What BLEU score does the Transformer reach?"."""
    filters = SearchFilters(doc_id=list(doc_ids) or None, kind=list(kind) or None)
    answer = with_kb(lambda kb: kb.ask(question, k=k, lang=lang, filters=filters, use_llm=not no_llm))
    if as_json:
        click.echo(json.dumps(_answer_json(answer), ensure_ascii=False, indent=1))
    else:
        _print_answer(answer)
    if not answer.found:
        raise SystemExit(EXIT_ERROR)


@click.command()
@click.argument("topic", required=False)
@click.option("--since", help="Only documents ingested since: 7d, 24h, 2w, 3m or a date.")
@click.option("--until", help="Only documents ingested until (a date, or 7d for 'a week ago').")
@click.option("--lang", type=click.Choice(["fr", "en", "ko"]), default="fr", show_default=True,
              help="Language of headings and connective text.")
@click.option("--max-docs", type=int, default=8, show_default=True, help="Documents in the digest at most.")
@click.option("--kind", multiple=True, help="Only this source type: paper, note, record.")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file.")
def digest(topic: str | None, since: str | None, until: str | None, lang: str, max_docs: int,
           kind: tuple[str, ...], fmt: str, output: Path | None) -> None:
    """A cited Markdown brief: veille digest "KV cache compression" --lang fr (no topic: recent, by theme)."""
    start, end = parse_since(since), parse_since(until)
    result: Digest = with_kb(lambda kb: kb.digest(topic, since=start, until=end, lang=lang, max_docs=max_docs,
                                                   kinds=list(kind) or None))
    text = result.markdown if fmt == "md" else result.model_dump_json(indent=1)
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"digest written to {output} ({result.selected} documents, {len(result.citations)} citations)",
                   err=True)
    else:
        click.echo(text)
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
