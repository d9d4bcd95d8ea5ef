"""Who may do what in the reading room, and what a page may run.

Reads follow the HTTP API's rule: open, or behind the token with VEILLE_TOKEN_ON_READS. Writes need the
token: the login form checks it once and sets an HttpOnly, SameSite=Strict cookie holding a keyed hash of
it (never the token itself), so changing the token signs everyone out. Every form carries a CSRF token,
keyed by a secret drawn when the server starts, which another site cannot read. Pages are sent with a
Content-Security-Policy that runs scripts from this server only (no inline script, no eval), so a note's
markup, were it ever rendered as HTML, could not run.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response

from veille.languages import ANSWER_LANGS
from veille.settings import Settings

SESSION_COOKIE = "veille_session"
LANG_COOKIE = "veille_lang"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


class Gate:
    """The reading room's rules for one server: sessions, CSRF tokens, interface language."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.secret = secrets.token_bytes(32)  # this server's: forms and sessions of an earlier start expire

    def session_value(self) -> str:
        """What the session cookie holds once the token was given."""
        token = (self.settings.api_token or "").encode()
        return hmac.new(token, b"veille reading room session", hashlib.sha256).hexdigest()

    def token_ok(self, given: str) -> bool:
        """Whether `given` is the server's token (no token set: anything goes)."""
        expected = self.settings.api_token
        return not expected or hmac.compare_digest(given.encode(), expected.encode())

    def signed_in(self, request: Request) -> bool:
        """A session cookie, or a bearer token, that the server's token opens; always true without a token."""
        if not self.settings.api_token:
            return True
        bearer = request.headers.get("authorization", "")
        if bearer and hmac.compare_digest(bearer.encode(), f"Bearer {self.settings.api_token}".encode()):
            return True
        return hmac.compare_digest(request.cookies.get(SESSION_COOKIE, "").encode(), self.session_value().encode())

    def may_read(self, request: Request) -> bool:
        """Reads are open unless VEILLE_TOKEN_ON_READS closes them."""
        return not self.settings.token_on_reads or self.signed_in(request)

    def csrf(self) -> str:
        """The token every form of this server carries."""
        return hmac.new(self.secret, b"veille csrf", hashlib.sha256).hexdigest()

    def csrf_ok(self, given: str | None) -> bool:
        """Whether a form's CSRF token is this server's."""
        return bool(given) and hmac.compare_digest(str(given).encode(), self.csrf().encode())


def interface_language(request: Request) -> str:
    """The language of the pages: `?lang=` or its cookie, else the browser's Accept-Language, else English."""
    for asked in (request.query_params.get("ui"), request.cookies.get(LANG_COOKIE)):
        if asked in ANSWER_LANGS:
            return asked
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in ANSWER_LANGS:
            return code
    return "en"


class PageHeaders(BaseHTTPMiddleware):
    """The Content-Security-Policy and its companions on every page of the reading room."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers["Content-Security-Policy"] = CSP
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Referrer-Policy"] = "same-origin"
        return response
