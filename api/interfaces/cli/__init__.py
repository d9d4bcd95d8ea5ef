"""The `veille` command line. Commands only wire stages together; errors become exit codes.

Every command is registered here, in one place; each lives in the module named after its job and is
imported only when it runs: `veille --help` and `veille --version` load no model, store, PDF library
or web framework.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from typing import Any

import click

# name → (module under veille.interfaces.cli, attribute, one-line help shown by `veille --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "ingest": ("ingest", "ingest", "Ingest files and folders, web pages, or papers from arXiv."),
    "search": ("search", "search", "Search the knowledge base (hybrid, dense or sparse)."),
    "ask": ("ask", "ask", "Answer a question with cited passages."),
    "digest": ("digest", "digest", "A Markdown brief on a topic, or on what came in, every claim cited."),
    "watch": ("watch", "watch", "Collect from the web on a schedule, and write the morning digest."),
    "glossary": ("glossary", "glossary", "The terms the archive gives in two languages."),
    "docs": ("documents", "docs", "List the stored documents."),
    "stats": ("documents", "stats", "Counts by language and kind, and the embedder in use."),
    "remove": ("documents", "remove", "Delete a document entirely."),
    "serve": ("serve", "serve", "Run the HTTP API."),
    "migrate": ("documents", "migrate", "Copy this knowledge base into a Qdrant server, or back."),
    "optimize": ("documents", "optimize", "Build the embedded store's search index now."),
    "reembed": ("documents", "reembed", "Re-embed every stored chunk with another runtime."),
    "eval": ("evaluate", "eval_", "Measure retrieval on a BEIR folder or a questions file."),
}


class LazyGroup(click.Group):
    """A group whose commands are imported when invoked; the help lists them from COMMANDS."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[cmd_name]
        command: click.Command = getattr(importlib.import_module(f"veille.interfaces.cli.{module}"), attr)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, short) for name, (_, _, short) in COMMANDS.items()])


@click.group(cls=LazyGroup)
@click.version_option(package_name="veille")
def cli() -> None:
    """Veille: a multilingual knowledge base for AI research papers and notes."""


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point (`argv` given: a caller in the same process, which gets SystemExit).

    As a command, the process ends as soon as the command has: everything it opened is closed by then
    (the store, the cache, the files it wrote), and the interpreter's teardown would only free memory,
    which costs about a second after a search (the tokenizer's 250k-piece vocabulary)."""
    try:
        return cli.main(args=argv, prog_name="veille")
    except SystemExit as exc:
        if argv is not None:
            raise
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError):  # `veille docs | head` closed it: nothing left to say
                stream.flush()
        os._exit(code)
