"""The pages: login, and the centre's page (drop workbooks, see findings, annotated copy, deposit, its uploads).
They work without JavaScript: plain forms, each protected by the session's CSRF token."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from bordereau.ledger import uploads
from bordereau.ledger.accounts import authenticate, count_users
from bordereau.web import security as sec
from bordereau.web import service, sessions
from bordereau.web.views import by_code, error, page

router = APIRouter()
MAX_FILES = 10


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/")
def home(request: Request) -> Response:
    user = sec.session_of(request).user
    return _see_other({"cpam": "/cpam", "departement": "/departement"}.get(user.role, "/bordereaux"))


def _login_page(request: Request, status: int = 200, message: str | None = None) -> Response:
    token = sec.login_token(request)
    response = page(request, "web/login.html.j2", status=status, login_csrf=token, message=message,
                    no_users=count_users(request.app.state.ledger) == 0)
    response.set_cookie(sec.LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=request.app.state.https)
    return response


@router.get("/connexion")
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/connexion")
async def login(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=5)
    if not sec.same(str(form.get("csrf", "")), request.cookies.get(sec.LOGIN_COOKIE)):
        raise sec.Forbidden()
    state = request.app.state
    user = await run_in_threadpool(authenticate, state.ledger, str(form.get("login", "")),
                                   str(form.get("password", "")))
    if user is None:
        return await run_in_threadpool(
            _login_page, request, 401, "Identifiant ou mot de passe incorrect. Après 5 échecs, la connexion est "
                                       "refusée pendant 15 minutes.")
    session = await run_in_threadpool(sessions.start, state.ledger, user, request.cookies.get("bordereau_session"))
    response = _see_other("/")
    sec.set_session_cookie(response, session.token, state.https)
    response.delete_cookie(sec.LOGIN_COOKIE)
    return response


@router.post("/deconnexion")
async def logout(request: Request) -> Response:
    session = await run_in_threadpool(sec.session_of, request)
    form = await request.form(max_files=0, max_fields=5)
    sec.check_csrf(request, session, str(form.get("csrf", "")))
    await run_in_threadpool(sessions.end, request.app.state.ledger, session)
    response = _see_other("/connexion")
    sec.clear_session_cookie(response, request.app.state.https)
    return response


@router.get("/bordereaux")
def centre_page(request: Request) -> Response:
    user = sec.session_of(request).user
    if user.role not in ("centre", "departement"):
        raise sec.NotFound()
    items = uploads.listing(request.app.state.ledger, user)
    return page(request, "web/centre.html.j2", items=items, sent=None)


@router.post("/bordereaux")
async def send(request: Request) -> Response:
    session = await run_in_threadpool(sec.session_of, request)
    user = session.user
    async with request.form(max_files=MAX_FILES, max_fields=5) as form:
        sec.check_csrf(request, session, str(form.get("csrf", "")))
        if user.role not in ("centre", "departement"):
            raise sec.NotFound()
        parts = [p for p in form.getlist("fichiers") if not isinstance(p, str) and p.filename]
        files = [(p.filename, await p.read()) for p in parts]
    if not files:
        return error(request, 422, "Choisissez au moins un classeur à envoyer.")
    sent = [await run_in_threadpool(service.send, request, user, name, content) for name, content in files]
    if len(sent) == 1 and sent[0].id is not None:
        return _see_other(f"/bordereaux/{sent[0].id}")
    items = await run_in_threadpool(uploads.listing, request.app.state.ledger, user)
    status = 422 if all(s.refused for s in sent) else 200
    return page(request, "web/centre.html.j2", status=status, items=items, sent=sent, by_code=by_code)


@router.get("/bordereaux/{upload_id}")
def detail(request: Request, upload_id: int, message: str | None = None, status: int = 200) -> Response:
    user = sec.session_of(request).user
    row = service.visible(request, user, upload_id)
    answer = uploads.answer(row)
    return page(request, "web/upload.html.j2", status=status, row=row, answer=answer,
                pupils=uploads.pupils(row), counts=by_code(answer["findings"]),
                owner=uploads.owner_of(user, row), message=message)


@router.post("/bordereaux/{upload_id}/depot")
async def deposit(request: Request, upload_id: int) -> Response:
    session = await run_in_threadpool(sec.session_of, request)
    form = await request.form(max_files=0, max_fields=5)
    sec.check_csrf(request, session, str(form.get("csrf", "")))
    try:
        state = await run_in_threadpool(uploads.deposit, request.app.state.ledger, session.user, upload_id)
    except uploads.Conflict as conflict:
        return await run_in_threadpool(detail, request, upload_id, f"Dépôt refusé : {conflict}.", 409)
    if state is None:
        raise sec.NotFound()
    return _see_other(f"/bordereaux/{upload_id}")
