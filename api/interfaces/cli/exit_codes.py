"""What every `veille` command shares: exit codes, and turning Veille's errors into them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn, TypeVar

import click

from veille.errors import StoreError, VeilleError

if TYPE_CHECKING:
    from veille.kb import KnowledgeBase

T = TypeVar("T")
EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3


def fail(exc: VeilleError) -> NoReturn:
    """Print the error (it names its input) and exit with code 1."""
    click.echo(f"error: {exc}", err=True)
    raise SystemExit(EXIT_ERROR)


def or_fail(action: Callable[[], T]) -> T:
    """Run `action`; a VeilleError (bad input file, unreachable server...) becomes exit code 1."""
    try:
        return action()
    except VeilleError as exc:
        fail(exc)


def with_kb(action: Callable[[KnowledgeBase], T]) -> T:
    """Run `action` on a freshly opened knowledge base; a VeilleError becomes exit code 1."""
    from veille.interfaces.http.client import find_server  # the knowledge base's imports are heavy: on use
    from veille.kb import KnowledgeBase
    from veille.settings import Settings

    try:
        with KnowledgeBase() as kb:
            return action(kb)
    except StoreError as exc:
        settings = Settings()
        server = None if settings.server_url else find_server(settings)
        if server:  # the store is held by our own server: say where to go instead
            exc = StoreError(f"{exc.message} — a Veille server answers at {server} (API at {server}/docs)",
                             source=exc.source)
        fail(exc)
    except VeilleError as exc:
        fail(exc)
