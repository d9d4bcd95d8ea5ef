"""The `veille` command line. Commands only wire stages together; errors become exit codes.

Every command is registered here, in one place; each lives in the module named after its job.
"""

from __future__ import annotations

from typing import Any

import click

from veille.interfaces.cli.answers import ask, digest
from veille.interfaces.cli.documents import docs, migrate, optimize, reembed, remove, stats
from veille.interfaces.cli.evaluate import eval_
from veille.interfaces.cli.ingest import ingest
from veille.interfaces.cli.search import search
from veille.interfaces.cli.serve import serve
from veille.interfaces.cli.watch import watch


@click.group()
@click.version_option(package_name="veille")
def cli() -> None:
    """Veille: a multilingual knowledge base for AI research papers and notes."""


for _command in (ingest, search, docs, stats, remove, ask, digest, serve, migrate, optimize, reembed, eval_,
                 watch):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    return cli.main(args=argv, prog_name="veille")
