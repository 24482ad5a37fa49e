"""What SERVICE.md's Security section asks of every request: who is asking (session cookie), CSRF on what changes
state, 404 for what one may not see, the size of a request body, and headers that keep pages to themselves."""

from __future__ import annotations

import hmac
import json
import secrets

from starlette.requests import Request
from starlette.responses import Response

from bordereau.web import sessions

COOKIE = "bordereau_session"
LOGIN_COOKIE = "bordereau_connexion"  # double-submit CSRF token of the login form (before any session)
CSRF_HEADER = "X-CSRF-Token"
MAX_UPLOAD = 20 * 2**20  # bytes of one submission's files
MAX_BODY = MAX_UPLOAD + 2**16  # with the multipart envelope
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


class NotLoggedIn(Exception):
    """No live session: 401 for the API, the login page for pages."""


class Forbidden(Exception):
    """CSRF token missing or wrong: 403."""


class NotFound(Exception):
    """Absent, or not for this account: 404 either way."""


class TooLarge(Exception):
    """A request body past MAX_BODY: 413."""


def session_of(request: Request) -> sessions.Session:
    found = getattr(request.state, "session", None)
    if found is None:
        found = sessions.load(request.app.state.ledger, request.cookies.get(COOKIE))
        if found is None:
            raise NotLoggedIn()
        request.state.session = found
    return found


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


def check_csrf(request: Request, session: sessions.Session, form_value: str | None = None) -> None:
    """The header (API) or the form field (pages) must carry the session's token."""
    given = form_value if form_value is not None else request.headers.get(CSRF_HEADER)
    if not same(given, session.csrf):
        raise Forbidden()


def set_session_cookie(response: Response, token: str, https: bool) -> None:
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=https, path="/")


def clear_session_cookie(response: Response, https: bool) -> None:
    response.delete_cookie(COOKIE, httponly=True, samesite="strict", secure=https, path="/")


def login_token(request: Request) -> str:
    return request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)


class Guard:
    """ASGI middleware: refuses a body past MAX_BODY (413) as soon as it is announced or read, and adds the security
    headers to every answer."""

    def __init__(self, app, https: bool = False):
        self.app, self.https = app, https

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            return await _too_large(scope, send)
        seen, started = 0, False

        async def counted():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > MAX_BODY:
                raise TooLarge()
            return message

        async def secured(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = dict(HEADERS)
                if self.https:
                    extra["Strict-Transport-Security"] = "max-age=31536000"
                headers += [(k.lower().encode(), v.encode()) for k, v in extra.items()
                            if k.lower().encode() not in names]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, counted, secured)
        except TooLarge:
            if not started:
                await _too_large(scope, send)


MESSAGE_413 = "Fichier trop volumineux : 20 Mo au plus par envoi."


async def _too_large(scope, send) -> None:
    api = scope["path"].startswith("/api/")
    body = (json.dumps({"detail": MESSAGE_413}, ensure_ascii=False) if api else
            f"<!doctype html><html lang=fr><meta charset=utf-8><title>Fichier trop volumineux</title>"
            f"<p>{MESSAGE_413} <a href=\"/bordereaux\">Retour</a></p></html>").encode()
    kind = b"application/json" if api else b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close"),
                            *[(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]]})
    await send({"type": "http.response.body", "body": body})
