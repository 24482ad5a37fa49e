"""The JSON API of SERVICE.md for a CPAM agent's audits: thin routes over cpam.py (its exports are listed and
served by departement.py, which answers each caisse for its own)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from bordereau.ledger import audit_runs
from bordereau.web import cpam
from bordereau.web.security import NotFound, check_csrf, session_of
from bordereau.web.views import download, error

router = APIRouter(prefix="/api")
MAX_FILES = 50


@router.post("/audits")
async def audit(request: Request) -> Response:
    """multipart `fichiers` (the files received), or `export` (the id of one of the caisse's exports)."""
    session = await run_in_threadpool(session_of, request)
    check_csrf(request, session)
    cpam.agent(session.user)
    async with request.form(max_files=MAX_FILES, max_fields=5) as form:
        files = [(p.filename, await p.read()) for p in form.getlist("fichiers") if not isinstance(p, str)]
        export = str(form.get("export") or "").strip()
    if export and not export.isdigit():
        raise NotFound()
    try:
        done = await run_in_threadpool(cpam.run_audit, request, session.user, files, int(export) if export else None)
    except cpam.Refused as refused:
        return error(request, 422, str(refused))
    return Response(done.answer, status_code=201, media_type="application/json",
                    headers={"Location": f"/api/audits/{done.id}"})


@router.get("/audits")
def audits(request: Request) -> Response:
    user = session_of(request).user
    cpam.agent(user)
    return JSONResponse(audit_runs.listing(request.app.state.ledger, user))


@router.get("/audits/{audit_id}")
def one(request: Request, audit_id: int) -> Response:
    row = cpam.audit_row(request, session_of(request).user, audit_id, personal=True)
    return Response(row.answer, media_type="application/json")


@router.get("/audits/{audit_id}/rejets.xlsx")
def statement_xlsx(request: Request, audit_id: int) -> Response:
    return download(*cpam.statement(request, session_of(request).user, audit_id, "xlsx"))


@router.get("/audits/{audit_id}/rejets.pdf")
def statement_pdf(request: Request, audit_id: int) -> Response:
    return download(*cpam.statement(request, session_of(request).user, audit_id, "pdf"))


@router.get("/audits/{audit_id}/rapport.html")
def report(request: Request, audit_id: int) -> Response:
    return Response(cpam.report(request, session_of(request).user, audit_id), media_type="text/html; charset=utf-8")
