"""Rendering for the service: the HTML reports' jinja2 templates (templates/, shared), JSON answers, errors."""

from __future__ import annotations

from collections import Counter
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from bordereau import __version__, clock
from bordereau.findings import title
from bordereau.fixes import fix
from bordereau.render.html import environment

_env = environment()
_env.globals.update(version=__version__, title_of=title, advice_of=fix)


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    session = getattr(request.state, "session", None)
    html = _env.get_template(template).render(
        generated=clock.now().strftime("%d/%m/%Y à %H:%M"), session=session,
        user=session.user if session else None, csrf=session.csrf if session else "", **context)
    return HTMLResponse(html, status_code=status)


def error(request: Request, status: int, message: str, **extra: Any) -> Response:
    """The API answers `{"detail": message}`; pages show the message in the layout."""
    if is_api(request):
        return JSONResponse({"detail": message, **extra}, status_code=status)
    return page(request, "web/message.html.j2", status=status, message=message, heading=HEADINGS.get(status))


HEADINGS = {401: "Connexion requise", 403: "Action refusée", 404: "Introuvable", 409: "Impossible pour l'instant",
            413: "Fichier trop volumineux", 422: "Fichier refusé"}


def by_code(findings: list[dict]) -> list[dict]:
    """The count per code, errors first, as the HTML report lists them."""
    counts = Counter((f["code"], f["severity"]) for f in findings)
    return [{"code": c, "severity": s, "title": title(c), "count": n}
            for (c, s), n in sorted(counts.items(), key=lambda kv: (kv[0][1] != "error", -kv[1], kv[0][0]))]


def download(content: bytes, name: str, media: str) -> Response:
    """An attachment; the name in the header is quoted as RFC 6266 says (an ASCII fallback, then UTF-8)."""
    from urllib.parse import quote

    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name) or "fichier"
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
    return Response(content, media_type=media, headers={"Content-Disposition": disposition})
