"""The CPAM agent's pages: its caisse's exports (download, audit), the audit of received files, each audit's verdicts
and sums as `audit` gives them, its report and rejection statement. Plain forms with the session's CSRF token: they
work without JavaScript."""

from __future__ import annotations

import json
from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from bordereau.ledger import audit_runs, dispatch
from bordereau.money import format_eur
from bordereau.web import cpam
from bordereau.web import security as sec
from bordereau.web.cpam_api import MAX_FILES
from bordereau.web.views import download, page

router = APIRouter()
SHOWN_LINES = 200  # rejected or observed lines on the page; the report and the statement have them all


def eur(amount: str | None) -> str:
    return "–" if amount is None else format_eur(Decimal(amount))


def _home(request: Request, user, status: int = 200, message: str | None = None) -> Response:
    ledger = request.app.state.ledger
    return page(request, "web/cpam.html.j2", status=status, exports=dispatch.listing(ledger, user),
                audits=audit_runs.listing(ledger, user), message=message, eur=eur)


@router.get("/cpam")
def home(request: Request) -> Response:
    user = sec.session_of(request).user
    cpam.agent(user)
    return _home(request, user)


@router.post("/cpam/audits")
async def audit(request: Request) -> Response:
    session = await run_in_threadpool(sec.session_of, request)
    user = session.user
    async with request.form(max_files=MAX_FILES, max_fields=5) as form:
        sec.check_csrf(request, session, str(form.get("csrf", "")))
        cpam.agent(user)
        files = [(p.filename, await p.read()) for p in form.getlist("fichiers")
                 if not isinstance(p, str) and p.filename]
        export = str(form.get("export") or "").strip()
    if export and not export.isdigit():
        raise sec.NotFound()
    try:
        done = await run_in_threadpool(cpam.run_audit, request, user, files, int(export) if export else None)
    except cpam.Refused as refused:
        return await run_in_threadpool(_home, request, user, 422, str(refused))
    return RedirectResponse(f"/cpam/audits/{done.id}", status_code=303)


@router.get("/cpam/audits/{audit_id}")
def detail(request: Request, audit_id: int) -> Response:
    user = sec.session_of(request).user
    row = cpam.audit_row(request, user, audit_id)
    answer = json.loads(row.answer) if row.answer else None
    return page(request, "web/cpam_audit.html.j2", row=row, item=audit_runs.item(row), answer=answer, eur=eur,
                shown=SHOWN_LINES)


@router.get("/cpam/audits/{audit_id}/rejets.xlsx")
def statement_xlsx(request: Request, audit_id: int) -> Response:
    return download(*cpam.statement(request, sec.session_of(request).user, audit_id, "xlsx"))


@router.get("/cpam/audits/{audit_id}/rejets.pdf")
def statement_pdf(request: Request, audit_id: int) -> Response:
    return download(*cpam.statement(request, sec.session_of(request).user, audit_id, "pdf"))


@router.get("/cpam/audits/{audit_id}/rapport.html")
def report(request: Request, audit_id: int) -> Response:
    html = cpam.report(request, sec.session_of(request).user, audit_id)
    return Response(html, media_type="text/html; charset=utf-8")
