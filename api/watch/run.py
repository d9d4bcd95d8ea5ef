"""A watch run: every due subscription collected and ingested, then the morning digest written.

Cron-friendly and idempotent: an entry is recorded as seen only once it is stored, a feed is asked
conditionally (ETag / Last-Modified), and a failed subscription (offline, dead feed) keeps its state
and does not stop the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from veille.errors import NetworkError, VeilleError
from veille.ingest.feeds import DailyPaper, parse_feed
from veille.ingest.local_files import Loaded
from veille.pipeline import IngestItem, IngestReport, load_arxiv
from veille.watch.collector import Collector
from veille.watch.subscriptions import Subscription, Subscriptions, is_due

if TYPE_CHECKING:
    from veille.kb import KnowledgeBase

STORED = ("added", "updated", "unchanged")
RETRY_AFTER = timedelta(minutes=15)  # a failed subscription is not retried by the scheduler sooner
Keyed = Iterator[tuple[str, Loaded]]


class SubscriptionRun(BaseModel):
    """What one subscription's run did."""

    id: str
    source: str = Field(description="What it watches, in words.")
    collected: int = Field(default=0, description="Entries the source listed.")
    new: int = Field(default=0, description="Entries not seen before, processed this run.")
    not_modified: bool = Field(default=False, description="The source answered 304: nothing changed.")
    items: list[IngestItem] = Field(default_factory=list)
    error: str | None = Field(default=None, description="Why the subscription could not run.")

    @property
    def added(self) -> int:
        """Documents it brought in (added or updated)."""
        return sum(1 for i in self.items if i.status in ("added", "updated"))


class WatchReport(BaseModel):
    """A whole run."""

    started_at: datetime
    runs: list[SubscriptionRun] = Field(default_factory=list)
    digest_path: str | None = Field(default=None, description="The morning digest written, if any.")
    digest_error: str | None = None

    @property
    def report(self) -> IngestReport:
        """Every item of every subscription."""
        return IngestReport(items=[i for r in self.runs for i in r.items])

    @property
    def failed(self) -> int:
        """Subscriptions that could not run, plus items that failed."""
        return sum(1 for r in self.runs if r.error) + len(self.report.failed)


def run_watch(kb: KnowledgeBase, subs: Subscriptions, collector: Collector, *, ids: list[str] | None = None,
              due_only: bool = False, now: datetime | None = None,
              progress: Callable[[IngestItem], None] | None = None) -> WatchReport:
    """Run the named subscriptions (all when none are named; only due ones with `due_only`)."""
    now = now or datetime.now(UTC)
    chosen = [subs.get(i) for i in ids] if ids else subs.all()
    report = WatchReport(started_at=now)
    for sub in chosen:
        if due_only and not is_due(sub, now):
            continue
        report.runs.append(run_one(kb, subs, collector, sub, now, progress))
    return report


def run_one(kb: KnowledgeBase, subs: Subscriptions, collector: Collector, sub: Subscription, now: datetime,
            progress: Callable[[IngestItem], None] | None = None) -> SubscriptionRun:
    """Collect one subscription, ingest what is new, record its state."""
    run = SubscriptionRun(id=sub.id, source=sub.describe())
    sub.last_attempt, validators = now, (sub.etag, sub.last_modified)
    try:
        keyed = _collect(kb, collector, sub, run, now)
        transient = _ingest(kb, sub, keyed, run, progress)
    except VeilleError as exc:  # what was stored stays seen; the feed is asked in full next time
        run.error, sub.last_error = str(exc), str(exc)
        sub.etag, sub.last_modified = validators
        subs.save(sub)
        return run
    if transient:  # an entry failed for a reason that may pass: ask the source in full next time
        sub.etag = sub.last_modified = None
    sub.last_run, sub.last_error, sub.last_new = now, None, run.added
    subs.save(sub)
    return run


def _ingest(kb: KnowledgeBase, sub: Subscription, keyed: Keyed, run: SubscriptionRun,
            progress: Callable[[IngestItem], None] | None) -> bool:
    """Store each entry; mark it seen once stored. Returns True when one failed on the network."""
    transient = False
    for key, loaded in keyed:
        run.new += 1
        item = kb.ingest_loaded([loaded], progress=progress).items[0]
        run.items.append(item)
        if item.status in STORED:
            sub.seen.append(key)
        transient |= isinstance(loaded.error, NetworkError)
    return transient


def _collect(kb: KnowledgeBase, collector: Collector, sub: Subscription, run: SubscriptionRun,
             now: datetime) -> Keyed:
    """The subscription's new entries, keyed by what marks them seen (raises when the source fails)."""
    if sub.kind == "feed":
        return _feed(collector, sub, run)
    if sub.kind == "url":
        run.collected = 1
        return iter([(sub.target, collector.url(sub.target))])
    if sub.kind == "hf-daily":
        papers = {p.meta.arxiv_id: p for p in _daily(collector, kb.settings.hf_daily_url, now)}
        run.collected = len(papers)
        fresh = [p for key, p in papers.items() if key not in sub.seen]
        return zip([p.meta.arxiv_id for p in fresh], collector.papers(fresh), strict=True)
    return _arxiv(collector, sub, run, now)


def _daily(collector: Collector, api: str, now: datetime) -> list[DailyPaper]:
    """Yesterday's and today's lists (a morning run sees the day before in full); one day may fail."""
    papers: list[DailyPaper] = []
    errors: list[VeilleError] = []
    for day in (now - timedelta(days=1), now):
        try:
            papers += collector.daily(api, day.date())
        except VeilleError as exc:
            errors.append(exc)
    if len(errors) == 2:
        raise errors[-1]
    return papers


def _feed(collector: Collector, sub: Subscription, run: SubscriptionRun) -> Keyed:
    resp = collector.fetcher.get(sub.target, etag=sub.etag, last_modified=sub.last_modified)
    if resp.not_modified:
        run.not_modified = True
        return iter(())
    feed = parse_feed(resp.body, sub.target)
    run.collected = len(feed.entries)
    sub.etag, sub.last_modified = resp.etag, resp.last_modified
    fresh = [e for e in feed.entries if e.key not in sub.seen]
    return ((e.key, collector.url(e.link, entry=e, extra={"feed": sub.target}) if e.link
             else Loaded(e.key, error=VeilleError("feed entry has no link", source=e.key))) for e in fresh)


def _arxiv(collector: Collector, sub: Subscription, run: SubscriptionRun, now: datetime) -> Keyed:
    """New papers of a category (since the last run, at most a week back) or of a query."""
    days = 1 if sub.last_run is None else min(7, max(1, (now - sub.last_run).days + 1))
    found = load_arxiv(collector.arxiv, query=sub.target if sub.arxiv_query else None,
                       category=None if sub.arxiv_query else sub.target, days=days, max_results=100)
    return _counted(((_paper_key(loaded), loaded) for loaded in found), run, sub.seen)


def _counted(keyed: Iterable[tuple[str, Loaded]], run: SubscriptionRun, seen: list[str]) -> Keyed:
    for key, loaded in keyed:
        run.collected += 1
        if key not in seen:
            yield key, loaded


def _paper_key(loaded: Loaded) -> str:
    doc = loaded.document
    return (doc.arxiv_id if doc and doc.arxiv_id else None) or loaded.source


def summary_counts(report: WatchReport) -> dict[str, Any]:
    """The figures of a run: collected, new, stored, failed."""
    items = report.report
    return {"subscriptions": len(report.runs), "collected": sum(r.collected for r in report.runs),
            "new": sum(r.new for r in report.runs), "added": items.count("added", "updated"),
            "failed": report.failed}
