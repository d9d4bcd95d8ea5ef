"""`veille glossary`: the terms the archive gives in two languages, which searches carry across languages."""

from __future__ import annotations

import json

import click

from veille.interfaces.cli.exit_codes import with_kb


@click.command()
@click.argument("term", required=False)
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def glossary(term: str | None, as_json: bool) -> None:
    """The archive's glossary, or the entries naming TERM: veille glossary "지식 증류"."""
    entries = with_kb(lambda kb: kb.glossary(term))
    if as_json:
        click.echo(json.dumps({"entries": [e.__dict__ for e in entries]}, ensure_ascii=False, indent=1))
        return
    width = max((len(e.term) for e in entries), default=0)
    for e in entries:
        shown = ", ".join(e.doc_ids[:3]) + (", …" if len(e.doc_ids) > 3 else "")
        click.echo(f"{e.term:<{width}}  {e.gloss}  ({e.count} document{'s' if e.count > 1 else ''}: {shown})")
    click.echo(f"{len(entries)} entries" + (f" naming {term!r}" if term else ""), err=True)
