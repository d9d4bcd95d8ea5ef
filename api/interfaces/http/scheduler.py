"""The scheduler of `veille serve`: due subscriptions queued as watch jobs."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from veille.interfaces.http.jobs import Job
from veille.interfaces.http.shared_kb import SharedKnowledgeBase
from veille.interfaces.http.watch_routes import submit_watch
from veille.watch.run import RETRY_AFTER
from veille.watch.subscriptions import Subscription, is_due


class Scheduler:
    """A thread that queues the due subscriptions every `tick` seconds (a failed one waits RETRY_AFTER)."""

    def __init__(self, s: SharedKnowledgeBase, tick: float) -> None:
        self.s, self.tick = s, tick
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="veille-watch", daemon=True)
        self._pending: str | None = None

    def start(self) -> None:
        """Begin ticking."""
        self._thread.start()

    def stop(self) -> None:
        """Stop at the next tick (a queued run still finishes)."""
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.tick):
            self.tick_once()

    def tick_once(self, now: datetime | None = None) -> Job | None:
        """Queue a run of the due subscriptions, unless the previous one is still waiting or running."""
        if self._pending and (job := self.s.jobs.get(self._pending)) and job.status in ("queued", "running"):
            return None
        now = now or datetime.now(UTC)
        due = [x.id for x in self.s.kb.subscriptions.all() if _due(x, now)]
        if not due:
            return None
        job = submit_watch(self.s, due, None, due_only=True)
        self._pending = job.id
        return job


def _due(sub: Subscription, now: datetime) -> bool:
    recent_failure = sub.last_error and sub.last_attempt and now - sub.last_attempt < RETRY_AFTER
    return is_due(sub, now) and not recent_failure
