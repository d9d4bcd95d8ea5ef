"""`veille ask` and `veille digest`: registered on the main command group."""

from __future__ import annotations

import json
import shutil
import textwrap

import click

from veille.index.hits import SearchFilters
from veille.interfaces.cli.exit_codes import EXIT_ERROR, with_kb
from veille.languages import ANSWER_LANGS
from veille.reader.answer import Answer


def _answer_json(a: Answer) -> dict:
    return {"question": a.question, "answer": a.answer, "lang": a.lang, "mode": a.mode, "found": a.found,
            "citations": [c.model_dump() for c in a.citations], "warnings": a.warnings, "dropped": a.dropped,
            "timings": a.timings}


def _print_answer(a: Answer) -> None:
    """The answer, then each citation whole: its title, page and link, and the quote wrapped to the
    terminal (a cut quote would hide the figure at its end)."""
    width = max(40, min(shutil.get_terminal_size().columns, 120))
    click.echo(textwrap.fill(a.answer, width))
    if a.citations:
        click.echo("")
    for c in a.citations:
        where = f", p. {c.page}" if c.page else ""
        click.echo(textwrap.fill(f"[{c.n}] {c.title}{where} — {c.url}", width, subsequent_indent="    "))
        quote = " ".join(c.quote.split())
        click.echo(textwrap.fill(f"« {quote} »", width, initial_indent="    ", subsequent_indent="      "))
    for w in a.warnings:
        click.echo(f"warning: {w}", err=True)


@click.command()
@click.argument("question")
@click.option("-k", "k", type=int, default=8, show_default=True, help="Passages to read.")
@click.option("--lang", type=click.Choice(sorted(ANSWER_LANGS)),
              help="Answer language (default: the question's).")
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


