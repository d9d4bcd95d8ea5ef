from __future__ import annotations

import socket
from datetime import UTC, datetime
from pathlib import Path

import arxiv
import pytest

from tests.ingest.arxiv_fake import RecordedArxiv
from veille.errors import NetworkError, SourceError
from veille.ingest.arxiv_source import ArxivFetcher, ArxivStore
from veille.ingest.documents import ArxivMeta


def fetcher(tmp_path: Path, session: RecordedArxiv, page_size: int = 100) -> ArxivFetcher:
    return ArxivFetcher(ArxivStore(tmp_path / "arxiv"), session=session, delay_seconds=0,
                        retries=0, page_size=page_size)


def test_by_ids_new_old_and_versioned_ids(tmp_path: Path, arxiv_fixtures: Path) -> None:
    f = fetcher(tmp_path, RecordedArxiv(arxiv_fixtures))
    ids = ["1605.08386", "astro-ph/0601001", "quant-ph/0201082v1", "2104.12255v1"]
    metas = [m for i in ids for m in f.by_ids([i])]  # recordings hold one id per request
    assert all(isinstance(m, ArxivMeta) for m in metas), metas
    by_id = {m.arxiv_id: m for m in metas if isinstance(m, ArxivMeta)}
    assert set(by_id) == {"1605.08386", "astro-ph/0601001", "quant-ph/0201082", "2104.12255"}
    heat = by_id["1605.08386"]
    assert heat.title == "Heat-bath random walks with Markov bases"
    assert heat.categories[0] == "math.CO" and "math.ST" in heat.categories
    assert heat.authors and heat.abstract and heat.published and heat.pdf_url
    assert by_id["quant-ph/0201082"].version == "v1"


def test_unknown_and_malformed_ids_are_reported_not_raised(tmp_path: Path, arxiv_fixtures: Path) -> None:
    f = fetcher(tmp_path, RecordedArxiv(arxiv_fixtures))
    out = list(f.by_ids(["0000.0000", "abc"]))
    errors = {e.source: e.message for e in out if isinstance(e, SourceError)}
    assert errors == {"abc": "not an arXiv id", "0000.0000": "no such paper on arXiv"}


def test_partial_id_batch_reports_the_missing_one(tmp_path: Path, arxiv_fixtures: Path) -> None:
    f = fetcher(tmp_path, RecordedArxiv(arxiv_fixtures))
    out = list(f.by_ids(["0808.05394", "1707.08567"]))
    assert [m.arxiv_id for m in out if isinstance(m, ArxivMeta)] == ["1707.08567"]
    assert [e.source for e in out if isinstance(e, SourceError)] == ["0808.05394"]


def test_error_feed_becomes_source_error(tmp_path: Path, arxiv_fixtures: Path) -> None:
    f = fetcher(tmp_path, RecordedArxiv(arxiv_fixtures))
    with pytest.raises(SourceError, match="HTTP 400"):
        list(f._run(arxiv.Search(id_list=["abc"]), "abc"))


def test_query_pages_until_the_cap(tmp_path: Path, arxiv_fixtures: Path) -> None:
    session = RecordedArxiv(arxiv_fixtures)
    f = fetcher(tmp_path, session, page_size=10)
    metas = list(f.by_query("testing", max_results=35))
    assert len(metas) == 35
    assert len({m.arxiv_id for m in metas}) == 35
    assert [u.split("start=")[1].split("&")[0] for u in session.calls] == ["0", "10", "20", "30"]


def test_category_window_builds_a_submitted_date_query(tmp_path: Path, arxiv_fixtures: Path) -> None:
    session = RecordedArxiv(arxiv_fixtures)
    f = fetcher(tmp_path, session)
    now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    with pytest.raises(SourceError, match="HTTP 404"):  # nothing recorded for this query
        list(f.by_category("cs.CL", days=3, now=now))
    assert "cat%3Acs.CL+AND+submittedDate%3A%5B202611181200+TO+202611211200%5D" in session.calls[0]
    assert "sortBy=submittedDate" in session.calls[0]


def test_pdf_download_is_content_addressed_and_resumable(tmp_path: Path, arxiv_fixtures: Path) -> None:
    pdf = b"%PDF-1.4 fake"
    session = RecordedArxiv(arxiv_fixtures, pdfs={"1605.08386v1": pdf})
    f = fetcher(tmp_path, session)
    meta = next(m for m in f.by_ids(["1605.08386"]) if isinstance(m, ArxivMeta))
    stored, path, fresh = f.fetch_pdf(meta)
    assert fresh and path.read_bytes() == pdf and path.parent.parent.name == "pdf"
    assert stored.pdf_sha256 and stored.pdf_sha256 in path.name
    calls = len(session.calls)
    again = list(f.by_ids(["1605.08386"]))  # already complete: no API call, no download
    assert again == [stored] and len(session.calls) == calls
    assert f.fetch_pdf(stored)[2] is False


def test_interrupted_run_refetches_only_what_is_missing(tmp_path: Path, arxiv_fixtures: Path) -> None:
    session = RecordedArxiv(arxiv_fixtures, pdfs={"1605.08386v1": b"%PDF-1.4 a"})
    f = fetcher(tmp_path, session)
    meta = next(m for m in f.by_ids(["1605.08386"]) if isinstance(m, ArxivMeta))
    f.store.put_pdf(b"%PDF-1.4 a")  # crash after the PDF, before the metadata
    _, _, fresh = f.fetch_pdf(meta)
    assert fresh  # metadata was missing, so it completes the job (the PDF write is idempotent)
    assert len(list((tmp_path / "arxiv" / "pdf").rglob("*.pdf"))) == 1


def test_download_that_is_not_a_pdf_is_refused(tmp_path: Path, arxiv_fixtures: Path) -> None:
    session = RecordedArxiv(arxiv_fixtures, pdfs={"1605.08386v1": b"<html>captcha</html>"})
    f = fetcher(tmp_path, session)
    meta = next(m for m in f.by_ids(["1605.08386"]) if isinstance(m, ArxivMeta))
    with pytest.raises(SourceError, match="not a PDF"):
        f.fetch_pdf(meta)
    assert f.store.get("1605.08386") is None


def test_offline_fails_at_once_with_a_clear_message(tmp_path: Path) -> None:
    """Unreachable arXiv is told by one connection attempt, not by the client's retries and delays."""
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    f = ArxivFetcher(ArxivStore(tmp_path), timeout=5, api_url=f"http://127.0.0.1:{port}/api/query")
    with pytest.raises(NetworkError, match=r"cannot reach arXiv \(127\.0\.0\.1\): network unreachable"):
        list(f.by_query("attention"))
    with pytest.raises(NetworkError):  # and again, without a retry schedule in between
        list(f.by_ids(["1706.03762"]))
