"""Polite, bounded HTTP GETs for the watch: web pages, feeds, JSON APIs.

requests does the HTTP; what it leaves to its caller is here: a User-Agent naming Veille, a delay
between two requests to one host, time-outs, a size cap read as the body streams in, http/https
only, redirects followed by hand (each hop checked again), robots.txt for pages, conditional
requests (ETag / Last-Modified), and no private or loopback address unless allowed (a feed must not
make Veille probe the user's own network).
"""

from __future__ import annotations

import ipaddress
import socket
import time
from typing import Protocol
from urllib.parse import urljoin, urlparse
from urllib.robotparser import RobotFileParser

import requests
from pydantic import BaseModel, Field

from veille import __version__
from veille.errors import NetworkError, SourceError


def user_agent() -> str:
    """Veille and its version, with where to read about it."""
    return f"Veille/{__version__} (+https://github.com/veille-kb/veille; knowledge base, polite fetcher)"


class FetchPolicy(BaseModel):
    """Limits every download obeys."""

    timeout: float = Field(default=20.0, gt=0, description="Seconds to connect, and between two bytes received.")
    max_bytes: int = Field(default=20 * 2**20, ge=1, description="Largest body accepted.")
    host_delay: float = Field(default=1.0, ge=0, description="Seconds between two requests to one host.")
    max_redirects: int = Field(default=5, ge=0)
    allow_private: bool = Field(default=False, description="Allow loopback and private addresses (tests).")
    robots: bool = Field(default=True, description="Obey robots.txt for page fetches.")


class WebResponse(BaseModel):
    """What a GET brought back."""

    url: str = Field(description="The URL asked for.")
    final_url: str = Field(description="The URL after redirects.")
    status: int
    content_type: str = ""
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        """True when the server answered 304 to a conditional request."""
        return self.status == 304


class Fetcher(Protocol):
    """What the watch needs from the network."""

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
            page: bool = False) -> WebResponse:
        """GET `url` (conditionally when etag / last_modified are given); `page`: obey robots.txt."""


class HttpFetcher:
    """The real fetcher, on requests."""

    def __init__(self, policy: FetchPolicy | None = None, session: requests.Session | None = None) -> None:
        self.policy = policy or FetchPolicy()
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = user_agent()
        self._last: dict[str, float] = {}
        self._robots: dict[str, RobotFileParser | None] = {}

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
            page: bool = False) -> WebResponse:
        """GET with the policy's limits; HTTP errors raise SourceError, network ones NetworkError."""
        headers = {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", last_modified)) if v}
        if page and self.policy.robots and not self._allowed(url):
            raise SourceError("robots.txt forbids fetching this page", source=url)
        current = url
        for _ in range(self.policy.max_redirects + 1):
            resp = self._request(current, headers)
            if resp.is_redirect and resp.headers.get("location"):
                current = urljoin(current, resp.headers["location"])
                resp.close()
                continue
            return self._response(url, current, resp)
        raise SourceError(f"more than {self.policy.max_redirects} redirects", source=url)

    def _request(self, url: str, headers: dict[str, str]) -> requests.Response:
        self._check_address(url)
        self._wait(urlparse(url).netloc)
        try:
            return self.session.get(url, headers=headers, timeout=self.policy.timeout, stream=True,
                                    allow_redirects=False)
        except requests.Timeout as exc:
            raise NetworkError(f"no answer within {self.policy.timeout:g} s", source=url) from exc
        except requests.RequestException as exc:
            raise NetworkError(f"cannot reach it ({exc.__class__.__name__})", source=url) from exc

    def _response(self, url: str, final: str, resp: requests.Response) -> WebResponse:
        with resp:
            if resp.status_code >= 400:
                raise SourceError(f"HTTP {resp.status_code} {resp.reason or ''}".strip(), source=final)
            body = b"" if resp.status_code == 304 else self._body(resp, final)
        return WebResponse(url=url, final_url=final, status=resp.status_code, body=body,
                           content_type=resp.headers.get("content-type", ""), etag=resp.headers.get("etag"),
                           last_modified=resp.headers.get("last-modified"))

    def _body(self, resp: requests.Response, url: str) -> bytes:
        """The body, refused as soon as it passes the cap (a Content-Length can lie or be absent)."""
        cap, parts, size = self.policy.max_bytes, [], 0
        try:
            for part in resp.iter_content(64 * 1024):
                size += len(part)
                if size > cap:
                    raise SourceError(f"larger than the {cap // 2**20} MiB download cap", source=url)
                parts.append(part)
        except requests.RequestException as exc:
            raise NetworkError(f"download interrupted ({exc.__class__.__name__})", source=url) from exc
        return b"".join(parts)

    def _wait(self, host: str) -> None:
        """Sleep until `host` was last asked at least host_delay seconds ago."""
        gap = self.policy.host_delay - (time.monotonic() - self._last.get(host, -1e9))
        if gap > 0:
            time.sleep(gap)
        self._last[host] = time.monotonic()

    def _check_address(self, url: str) -> None:
        """http/https only; a host resolving to a private, loopback or link-local address is refused."""
        parts = urlparse(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SourceError("only http and https URLs are fetched", source=url)
        if self.policy.allow_private:
            return
        try:
            infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
        except OSError as exc:
            raise NetworkError(f"cannot resolve {parts.hostname} (offline?)", source=url) from exc
        for info in infos:
            address = ipaddress.ip_address(info[4][0])
            if not address.is_global:
                raise SourceError(f"{parts.hostname} is a private or loopback address ({address}); "
                                  "set VEILLE_FETCH_ALLOW_PRIVATE=true to allow it", source=url)

    def _allowed(self, url: str) -> bool:
        """robots.txt of the URL's site says we may fetch it (no robots.txt: yes)."""
        parts = urlparse(url)
        site = f"{parts.scheme}://{parts.netloc}"
        if site not in self._robots:
            self._robots[site] = self._read_robots(site)
        robots = self._robots[site]
        return robots is None or robots.can_fetch(self.session.headers["User-Agent"], url)

    def _read_robots(self, site: str) -> RobotFileParser | None:
        try:
            resp = self.get(f"{site}/robots.txt")
        except SourceError:  # 404 and friends: no rules
            return None
        robots = RobotFileParser()
        robots.parse(resp.body.decode("utf-8", errors="replace").splitlines())
        return robots
