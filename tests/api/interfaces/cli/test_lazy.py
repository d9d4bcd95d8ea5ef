"""`veille` imports a command's module only when it runs: help and version load nothing heavy."""

from __future__ import annotations

import subprocess
import sys

import click

from veille.interfaces.cli import COMMANDS, cli

HEAVY = ("torch", "sentence_transformers", "onnxruntime", "pymupdf", "fastapi", "llama_index", "qdrant_client",
         "qdrant_edge", "trafilatura")


def test_every_registered_command_resolves_to_itself() -> None:
    ctx = click.Context(cli)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert isinstance(command, click.Command) and command.name == name, name
    assert cli.get_command(ctx, "nope") is None


def test_help_and_version_import_nothing_heavy() -> None:
    probe = ("import sys\nfrom veille.interfaces.cli import main\n"
             "for args in (['--help'], ['--version'], ['watch', '--help']):\n"
             "    try:\n        main(args)\n    except SystemExit:\n        pass\n"
             f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert "Commands:" in out and "watch" in out and "version" in out
    assert out.strip().splitlines()[-1] == "[]"
