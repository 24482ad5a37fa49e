"""The JSON API of SERVICE.md for accounts and the centres' bordereaux (the Département's and CPAM's routes come with
the service's part 2)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from bordereau.ledger import uploads
from bordereau.ledger.accounts import authenticate
from bordereau.web import service, sessions
from bordereau.web.security import NotFound, check_csrf, clear_session_cookie, session_of, set_session_cookie
from bordereau.web.views import download, error

router = APIRouter(prefix="/api")
SENDERS = ("centre", "departement")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.post("/session")
async def login(request: Request) -> Response:
    try:
        body = await request.json()
        name, password = str(body["login"]), str(body["password"])
    except (ValueError, KeyError, TypeError):
        return error(request, 400, "attendu : {\"login\": ..., \"password\": ...}")
    state = request.app.state
    user = await run_in_threadpool(authenticate, state.ledger, name, password)
    if user is None:
        return error(request, 401, "identifiant ou mot de passe incorrect (après 5 échecs, 15 minutes d'attente)")
    session = await run_in_threadpool(sessions.start, state.ledger, user, request.cookies.get("bordereau_session"))
    response = JSONResponse({**user.as_json(), "csrf": session.csrf})
    set_session_cookie(response, session.token, state.https)
    return response


@router.delete("/session")
def logout(request: Request) -> Response:
    session = session_of(request)
    check_csrf(request, session)
    sessions.end(request.app.state.ledger, session)
    response = Response(status_code=204)
    clear_session_cookie(response, request.app.state.https)
    return response


@router.post("/bordereaux")
async def send(request: Request) -> Response:
    session = await run_in_threadpool(session_of, request)
    check_csrf(request, session)
    if session.user.role not in SENDERS:
        raise NotFound()
    async with request.form(max_files=1, max_fields=5) as form:
        part = form.get("fichier")
        if part is None or isinstance(part, str):
            return error(request, 400, "champ « fichier » attendu (multipart/form-data)")
        content, name = await part.read(), part.filename
    sent = await run_in_threadpool(service.send, request, session.user, name, content)
    if sent.refused:
        return error(request, 422, sent.refused, file=sent.file, findings=sent.findings)
    return JSONResponse(sent.as_json(), status_code=201)


@router.get("/bordereaux")
def listing(request: Request) -> Response:
    user = session_of(request).user
    if user.role not in SENDERS:
        raise NotFound()
    return JSONResponse(uploads.listing(request.app.state.ledger, user))


@router.get("/bordereaux/{upload_id}")
def one(request: Request, upload_id: int) -> Response:
    row = service.visible(request, session_of(request).user, upload_id)
    return JSONResponse(uploads.answer(row))


@router.get("/bordereaux/{upload_id}/annote.xlsx")
def annotated(request: Request, upload_id: int) -> Response:
    row = service.visible(request, session_of(request).user, upload_id)
    return download(service.annotated(request, row), service.annotated_name(row), XLSX)


@router.get("/bordereaux/{upload_id}/rapport.html")
def report(request: Request, upload_id: int) -> Response:
    row = service.visible(request, session_of(request).user, upload_id)
    if row.answer is None:
        raise NotFound()
    return Response(service.report(row), media_type="text/html; charset=utf-8")


@router.post("/bordereaux/{upload_id}/depot")
def deposit(request: Request, upload_id: int) -> Response:
    session = session_of(request)
    check_csrf(request, session)
    try:
        state = uploads.deposit(request.app.state.ledger, session.user, upload_id)
    except uploads.Conflict as conflict:
        return error(request, 409, str(conflict))
    if state is None:
        raise NotFound()
    return JSONResponse({"id": upload_id, "state": state})
