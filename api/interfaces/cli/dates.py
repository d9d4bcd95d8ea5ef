"""Dates and spans on the command line: '7d', '24h', '2w', '3m' or an ISO date."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import click

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
