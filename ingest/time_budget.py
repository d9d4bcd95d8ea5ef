"""A time budget per input: reading a file or chunking a document fails with a reason past it.

Sizes are capped (VEILLE_MAX_TEXT_MB), and every stage is linear in them, but a hostile file can still
be slow in ways no size shows (a PDF page of a million drawing commands, pathological sentence
splitting). The slow loops (PDF pages, sentence windows, the lines of a block) call check(), which
raises once the budget of the input being read is spent: that input fails, the batch goes on.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from veille.errors import ParseError

_BUDGET: ContextVar[tuple[float, float, str] | None] = ContextVar("veille_budget", default=None)


@contextmanager
def budget(seconds: float | None, source: str) -> Iterator[None]:
    """Give the work inside `seconds` (None: no limit) for the input named `source`."""
    token = _BUDGET.set((time.monotonic() + seconds, seconds, source) if seconds else None)
    try:
        yield
    finally:
        _BUDGET.reset(token)


def check() -> None:
    """Raise ParseError, naming the input, once its budget is spent."""
    current = _BUDGET.get()
    if current is not None and time.monotonic() > current[0]:
        raise ParseError(f"took longer than the {current[1]:g} s an input may take to read "
                         "(VEILLE_FILE_SECONDS); it was left out", source=current[2])
