"""Subscriptions of the watch and what each has seen, in one JSON file under VEILLE_HOME.

The file is rewritten atomically under a lock, so `veille watch run` from cron, the CLI and the
server never lose each other's updates; a run only records an entry as seen once it is stored.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import portalocker
from pydantic import BaseModel, Field, ValidationError

from veille.errors import ConfigError, NotFoundError, QueryError
from veille.ingest.atomic_files import atomic_write

WatchKind = Literal["arxiv", "feed", "hf-daily", "url"]
SEEN_KEPT = 5000  # entry keys remembered per subscription: far more than any feed lists at once
_EVERY = re.compile(r"^(\d+)\s*([mhd])$")
_DAILY_AT = re.compile(r"^daily@([01]\d|2[0-3]):([0-5]\d)$")


class Subscription(BaseModel):
    """One source the watch collects from, and its state."""

    id: str = Field(description="Stable id: kind and a hash of what is watched.")
    kind: WatchKind
    target: str = Field(default="", description="Feed or page URL, arXiv category or query; empty for hf-daily.")
    arxiv_query: bool = Field(default=False, description="For arxiv: target is a search query, not a category.")
    schedule: str = Field(default="daily", description="daily, daily@HH:MM (UTC), hourly, or every Nm / Nh / Nd.")
    created_at: datetime
    last_run: datetime | None = Field(default=None, description="Last run that went through.")
    last_attempt: datetime | None = Field(default=None, description="Last run tried, failed or not.")
    last_error: str | None = Field(default=None, description="Why the last run failed (None: it went through).")
    last_new: int = Field(default=0, description="Documents the last run brought in.")
    etag: str | None = None
    last_modified: str | None = None
    seen: list[str] = Field(default_factory=list, description="Entry keys / arXiv ids already stored.")

    def shown(self) -> dict[str, Any]:
        """The subscription as the CLI's --json and the HTTP API show it: seen keys counted, not listed."""
        return self.model_dump(mode="json", exclude={"seen"}) | {"seen": len(self.seen)}

    def describe(self) -> str:
        """One line for `veille watch list`."""
        what = self.target or "Hugging Face daily papers"
        if self.kind == "arxiv":
            what = f"{'query' if self.arxiv_query else 'category'} {self.target}"
        return f"{self.kind}: {what}"


def check_schedule(schedule: str) -> str:
    """The schedule, normalised; a QueryError names a malformed one."""
    value = schedule.strip().lower()
    if value in ("daily", "hourly") or _EVERY.match(value) or _DAILY_AT.match(value):
        return value
    raise QueryError("schedule must be daily, daily@HH:MM, hourly, or Nm / Nh / Nd (e.g. 6h)", source=schedule)


def is_due(sub: Subscription, now: datetime) -> bool:
    """Whether the subscription should run at `now` (UTC)."""
    if sub.last_run is None:
        return True
    at = _DAILY_AT.match(sub.schedule)
    if at:
        slot = now.replace(hour=int(at[1]), minute=int(at[2]), second=0, microsecond=0)
        slot -= timedelta(days=1) if slot > now else timedelta(0)
        return sub.last_run < slot
    return now - sub.last_run >= _interval(sub.schedule)


def _interval(schedule: str) -> timedelta:
    if schedule == "hourly":
        return timedelta(hours=1)
    every = _EVERY.match(schedule)
    if every:
        return timedelta(**{{"m": "minutes", "h": "hours", "d": "days"}[every[2]]: int(every[1])})
    return timedelta(days=1)


def subscription_id(kind: str, target: str, arxiv_query: bool = False) -> str:
    """Deterministic: adding the same source twice finds the first."""
    key = f"{kind}\n{'q' if arxiv_query else ''}\n{target.strip()}"
    return f"{kind}-{hashlib.sha1(key.encode()).hexdigest()[:8]}"


class Subscriptions:
    """The subscriptions file (VEILLE_HOME/watch/subscriptions.json)."""

    def __init__(self, root: Path) -> None:
        self.path = root / "subscriptions.json"

    def all(self) -> list[Subscription]:
        """Every subscription, in the order they were added."""
        if not self.path.exists():
            return []
        try:
            return _List.model_validate_json(self.path.read_bytes()).items
        except (ValidationError, ValueError) as exc:
            raise ConfigError(f"the watch's subscriptions file is damaged ({exc.__class__.__name__}); "
                              "fix or remove it", source=str(self.path)) from exc

    def get(self, sub_id: str) -> Subscription:
        """One subscription; NotFoundError names an unknown id."""
        for sub in self.all():
            if sub.id == sub_id:
                return sub
        raise NotFoundError("no such subscription (see `veille watch list`)", source=sub_id)

    def add(self, sub: Subscription) -> tuple[Subscription, bool]:
        """Add `sub` unless its source is already watched. Returns (the subscription, added?)."""
        with self._editing() as subs:
            for old in subs:
                if old.id == sub.id:
                    return old, False
            subs.append(sub)
            return sub, True

    def remove(self, sub_id: str) -> Subscription:
        """Drop a subscription (what it brought in stays in the knowledge base)."""
        with self._editing() as subs:
            for i, sub in enumerate(subs):
                if sub.id == sub_id:
                    return subs.pop(i)
        raise NotFoundError("no such subscription (see `veille watch list`)", source=sub_id)

    def save(self, sub: Subscription) -> None:
        """Write back a subscription's state after a run (a removed one stays removed)."""
        sub.seen = sub.seen[-SEEN_KEPT:]
        with self._editing() as subs:
            for i, old in enumerate(subs):
                if old.id == sub.id:
                    subs[i] = sub

    @contextmanager
    def _editing(self) -> Iterator[list[Subscription]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with portalocker.Lock(str(self.path) + ".lock", timeout=30):
            subs = self.all()
            yield subs
            atomic_write(self.path, _List(items=subs).model_dump_json(indent=1).encode())


class _List(BaseModel):
    items: list[Subscription] = Field(default_factory=list)


def new_subscription(kind: WatchKind, target: str = "", *, arxiv_query: bool = False,
                     schedule: str = "daily") -> Subscription:
    """A subscription not yet run."""
    return Subscription(id=subscription_id(kind, target, arxiv_query), kind=kind, target=target.strip(),
                        arxiv_query=arxiv_query, schedule=check_schedule(schedule), created_at=datetime.now(UTC))
