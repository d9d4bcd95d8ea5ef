"""A requests.Session stand-in that answers arXiv API calls from recorded Atom responses."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests


class RecordedArxiv(requests.Session):
    """Serves ../shared/fixtures/arxiv-api/xml by request parameters; PDFs from a dict."""

    def __init__(self, fixtures: Path, pdfs: dict[str, bytes] | None = None) -> None:
        super().__init__()
        self.fixtures = fixtures
        self.pdfs = pdfs or {}
        self.calls: list[str] = []

    def _fixture(self, url: str) -> tuple[int, bytes]:
        q = {k: v[0] for k, v in parse_qs(urlparse(url).query, keep_blank_values=True).items()}
        start, size = q.get("start", "0"), q.get("max_results", "100")
        if q.get("id_list"):
            key = "id_" + q["id_list"].replace(",", "_").replace("/", "_")
        else:
            key = "q_" + q.get("search_query", "").replace(" ", "_")
        matches = sorted(self.fixtures.glob(f"{key}_s{start}_m{size}_*.xml"))
        if not matches:
            return 404, b"no recording for " + url.encode()
        body = matches[0].read_bytes()
        status = 400 if b"/api/errors" in body else 200
        return status, body

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        url = url.decode() if isinstance(url, bytes) else url
        self.calls.append(url)
        resp = requests.Response()
        resp.url = url
        if "/pdf/" in url:
            key = url.rsplit("/", 1)[-1]
            resp.status_code, resp._content = (200, self.pdfs[key]) if key in self.pdfs else (404, b"")
        else:
            resp.status_code, resp._content = self._fixture(url)
        return resp
