"""`veille digest`: a cited brief on a topic, or on what came in."""

from __future__ import annotations

from pathlib import Path

import click

from veille.digest.brief import Digest
from veille.interfaces.cli.dates import parse_since
from veille.interfaces.cli.exit_codes import with_kb
from veille.languages import ANSWER_LANGS


@click.command()
@click.argument("topic", required=False)
@click.option("--since", help="Only documents ingested since: 7d, 24h, 2w, 3m or a date.")
@click.option("--until", help="Only documents ingested until (a date, or 7d for 'a week ago').")
@click.option("--lang", type=click.Choice(sorted(ANSWER_LANGS)), default="fr", show_default=True,
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
