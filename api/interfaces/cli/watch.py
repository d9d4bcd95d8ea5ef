"""`veille watch`: subscriptions (arXiv, feeds, Hugging Face daily papers, pages), runs, morning digest."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from veille.interfaces.cli.exit_codes import EXIT_ERROR, EXIT_OK, EXIT_PARTIAL, or_fail, with_kb
from veille.settings import Settings
from veille.watch.subscriptions import Subscriptions, WatchKind, new_subscription

if TYPE_CHECKING:
    from veille.kb import KnowledgeBase
    from veille.watch.run import WatchReport

# Running a subscription needs the knowledge base (models, store, parsers); managing the subscriptions
# file does not: those imports wait for `watch run`, so `add`, `list` and `remove` answer at once.

_SCHEDULE = click.option("--schedule", default="daily", show_default=True,
                         help="daily, daily@HH:MM (UTC), hourly, or every Nm / Nh / Nd (e.g. 6h).")


@click.group()
def watch() -> None:
    """Collect from the web on a schedule, and write the morning digest:

    \b
      veille watch add feed https://example.org/rss.xml
      veille watch add arxiv --category cs.CL
      veille watch add hf-daily
      veille watch run            # cron-friendly: exit 0 / 3 partial / 1
    """


@watch.group()
def add() -> None:
    """Subscribe to a source."""


def _added(kind: WatchKind, target: str = "", *, arxiv_query: bool = False, schedule: str = "daily") -> None:
    sub = or_fail(lambda: new_subscription(kind, target, arxiv_query=arxiv_query, schedule=schedule))
    saved, fresh = or_fail(lambda: _subs().add(sub))
    click.echo(f"{saved.id}\t{saved.describe()}\t{saved.schedule}" + ("" if fresh else "\t(already watched)"))


def _subs() -> Subscriptions:
    return Subscriptions(Settings().home / "watch")  # a file beside the store: no need to open the store


@add.command("arxiv")
@click.option("--category", "-c", help="arXiv category, e.g. cs.CL.")
@click.option("--query", "-q", help="arXiv search query.")
@_SCHEDULE
def add_arxiv(category: str | None, query: str | None, schedule: str) -> None:
    """New papers of an arXiv category, or of a search query."""
    if bool(category) == bool(query):
        raise click.UsageError("give one of --category or --query")
    _added("arxiv", category or query or "", arxiv_query=bool(query), schedule=schedule)


@add.command("feed")
@click.argument("url")
@_SCHEDULE
def add_feed(url: str, schedule: str) -> None:
    """An RSS or Atom feed: each new entry's page is fetched and its article kept."""
    _added("feed", url, schedule=schedule)


@add.command("hf-daily")
@_SCHEDULE
def add_hf_daily(schedule: str) -> None:
    """Hugging Face daily papers (each paper through arXiv, its upvotes kept)."""
    _added("hf-daily", schedule=schedule)


@add.command("url")
@click.argument("url")
@_SCHEDULE
def add_url(url: str, schedule: str) -> None:
    """One page, fetched again on schedule (re-embedded only when it changed)."""
    _added("url", url, schedule=schedule)


@watch.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
def list_(as_json: bool) -> None:
    """The subscriptions, with their last run and last error."""
    subs = or_fail(lambda: _subs().all())
    if as_json:
        click.echo(json.dumps({"subscriptions": [s.shown() for s in subs]}, ensure_ascii=False, indent=1))
        return
    for s in subs:
        last = s.last_run.strftime("%Y-%m-%d %H:%M") if s.last_run else "never run"
        error = f"\terror: {s.last_error}" if s.last_error else ""
        click.echo(f"{s.id}\t{s.describe()}\t{s.schedule}\t{last}\t{len(s.seen)} seen{error}")
    click.echo(f"{len(subs)} subscriptions", err=True)


@watch.command()
@click.argument("sub_id")
def remove(sub_id: str) -> None:
    """Stop watching a source (what it brought in stays)."""
    gone = or_fail(lambda: _subs().remove(sub_id))
    click.echo(f"removed {gone.id}: {gone.describe()}")


@watch.command()
@click.argument("ids", nargs=-1)
@click.option("--due", is_flag=True, help="Only the subscriptions whose schedule says they are due.")
@click.option("--digest/--no-digest", default=None,
              help="Write the morning digest even when nothing new came in / never.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def run(ids: tuple[str, ...], due: bool, digest: bool | None, as_json: bool) -> None:
    """Run subscriptions now (all, or the given ids) and write the morning digest if something came in."""
    from veille.interfaces.http.client import RemoteIngest, find_server
    from veille.watch.run import summary_counts

    settings = Settings()
    server = or_fail(lambda: find_server(settings))
    if server:  # the server holds the store: its job queue runs the subscriptions
        click.echo(f"a Veille server holds this knowledge base: running through {server}", err=True)
        job = or_fail(lambda: RemoteIngest(server, settings.api_token).watch(list(ids) or None, digest))
        _print_remote(job, as_json)
        return

    def go(kb: KnowledgeBase) -> WatchReport:
        return kb.watch(list(ids) or None, due_only=due, digest=digest)

    report = with_kb(go)
    if as_json:
        click.echo(json.dumps(report.model_dump(mode="json") | {"counts": summary_counts(report)},
                              ensure_ascii=False, indent=1))
    else:
        _print(report)
    raise SystemExit(_exit_code(report))


def _print(report: WatchReport) -> None:
    for r in report.runs:
        state = "not modified" if r.not_modified else f"{r.collected} listed, {r.new} new, {r.added} stored"
        click.echo(f"{r.id}\t{r.source}\t{state}" + (f"\terror: {r.error}" if r.error else ""), err=True)
        for item in r.items:
            if item.status == "failed":
                click.echo(f"  failed: {item.source}: {item.reason}", err=True)
            for warning in item.warnings:
                click.echo(f"  warning: {warning}", err=True)
    if report.digest_path:
        click.echo(report.digest_path)
    elif report.digest_error:
        click.echo(f"no digest: {report.digest_error}", err=True)


def _print_remote(job: dict[str, Any], as_json: bool) -> None:
    """A watch job run by the server, printed like a local run; exits like one."""
    detail = job.get("detail") or {}
    if as_json:
        click.echo(json.dumps(job, ensure_ascii=False, indent=1))
    for r in detail.get("runs", []):
        click.echo(f"{r['id']}\t{r['source']}\t{r['collected']} listed, {r['new']} new"
                   + (f"\terror: {r['error']}" if r.get("error") else ""), err=True)
    for item in job.get("items", []):
        if item.get("status") == "failed":
            click.echo(f"  failed: {item['source']}: {item.get('reason')}", err=True)
    if detail.get("digest_path") and not as_json:
        click.echo(detail["digest_path"])
    counts = detail.get("counts", {})
    if job.get("status") == "failed" or not detail:
        click.echo(f"error: {job.get('error') or 'the watch job failed'}", err=True)
        raise SystemExit(EXIT_ERROR)
    raise SystemExit(EXIT_OK if not counts.get("failed") else EXIT_PARTIAL)


def _exit_code(report: WatchReport) -> int:
    if not report.failed:
        return EXIT_OK
    went_through = report.report.documents or any(not r.error for r in report.runs)
    return EXIT_PARTIAL if went_through else EXIT_ERROR
