"""The JSON API of the Département (SERVICE.md): the week's deposits, exports per CPAM and their files, « envoyé le »,
payment and rejection statements, a payment set aside or allocated by hand, the follow-up and the audit log. Each
route is a call of the library; the exports' list and files also answer the CPAM they are addressed to. Anyone else:
404; without a session: 401."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from bordereau import clock
from bordereau.cli_french import parse_day
from bordereau.errors import BordereauError
from bordereau.ledger import deposits, dispatch, journal
from bordereau.ledger.status import status
from bordereau.web.security import NotFound, check_csrf, session_of
from bordereau.web.views import download, error

from . import exports, matching, statements

router = APIRouter(prefix="/api")
ZIP, PDF = "application/zip", "application/pdf"
MEDIA = {".pdf": PDF, ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         ".json": "application/json", ".html": "text/html; charset=utf-8", ".txt": "text/plain; charset=utf-8"}


def departement(request: Request, csrf: bool = False):
    """The Département's account, or 404 for any other (401 without a session; 403 without the CSRF token)."""
    session = session_of(request)
    if csrf:
        check_csrf(request, session)
    if session.user.role != "departement":
        raise NotFound()
    return session.user


def day(value: str | None, default: dt.date) -> dt.date:
    """A date of a query or a form (AAAA-MM-JJ or JJ/MM/AAAA); raises BordereauError in French."""
    if not value:
        return default
    try:
        return parse_day(value.strip())
    except Exception:
        raise BordereauError(f"date « {value[:20]} » illisible : AAAA-MM-JJ ou JJ/MM/AAAA") from None


def span(du: str | None, au: str | None) -> tuple[dt.date, dt.date]:
    start, end = deposits.week_of(clock.today())
    start = day(du, start)
    return start, day(au, start + dt.timedelta(days=6) if du else end)


@router.get("/depots")
def week(request: Request, du: str | None = None, au: str | None = None) -> Response:
    departement(request)
    try:
        start, end = span(du, au)
        answer = deposits.deposits(request.app.state.ledger, request.app.state.reference, start, end, clock.today())
    except BordereauError as exc:
        return error(request, 422, str(exc))
    return JSONResponse(answer)


def make_export(request: Request, user, cpam: str) -> exports.Made:
    """The one export operation of the API and the page (raises what `answer_export` turns into an answer)."""
    state = request.app.state
    return exports.export_cpam(state.ledger, state.reference, user, cpam, clock.today(), clock.now())


@router.post("/exports")
async def export(request: Request) -> Response:
    user = await run_in_threadpool(departement, request, True)
    try:
        body = await request.json()
        cpam = str(body["cpam"]).strip()
    except (ValueError, KeyError, TypeError):
        return error(request, 400, "attendu : {\"cpam\": \"595\"}")
    try:
        made = await run_in_threadpool(make_export, request, user, cpam)
    except exports.Refused as refused:
        return error(request, 409, str(refused), findings=refused.findings)
    except exports.UnknownCpam as unknown:
        return error(request, 422, str(unknown))
    except BordereauError as exc:  # nothing deposited, or lines billed meanwhile by another export
        return error(request, 409, str(exc))
    return JSONResponse(made.as_json(), status_code=201)


@router.get("/exports")
def export_list(request: Request) -> Response:
    user = session_of(request).user
    if user.role not in ("departement", "cpam"):
        raise NotFound()
    return JSONResponse(dispatch.listing(request.app.state.ledger, user))


def visible_export(request: Request, ref: int):
    user = session_of(request).user
    row = dispatch.find(request.app.state.ledger, user, ref)
    if row is None:
        raise NotFound()
    content = dispatch.archive(request.app.state.ledger, row)
    if content is None:
        raise NotFound()
    if user.role == "cpam":  # the caisse's folder only, as PETRA gives it
        content = exports.folder_only(content, row.folder)
    return user, row, content


def zip_name(row) -> str:
    return f"export-{row.id}-{row.folder or row.cpam}.zip"


@router.get("/exports/{ref:int}.zip")
def export_zip(request: Request, ref: int) -> Response:
    user, row, content = visible_export(request, ref)
    journal.log(request.app.state.ledger, user.login, "download", f"export {ref} (CPAM {row.cpam}) : {zip_name(row)}")
    return download(content, zip_name(row), ZIP)


@router.get("/exports/{ref:int}/fichiers/{name}")
def export_file(request: Request, ref: int, name: str) -> Response:
    """One file of the CPAM's folder of the export: the PDFs to sign (the recap's, each bordereau's), the workbooks."""
    user, row, content = visible_export(request, ref)
    found = exports.member(content, row.folder, name)
    if found is None:
        raise NotFound()
    journal.log(request.app.state.ledger, user.login, "download", f"export {ref} (CPAM {row.cpam}) : {name}")
    suffix = name[name.rfind("."):].lower() if "." in name else ""
    return download(found, name, MEDIA.get(suffix, "application/octet-stream"))


@router.post("/exports/{ref:int}/envoi")
async def sent(request: Request, ref: int) -> Response:
    user = await run_in_threadpool(departement, request, True)
    try:
        body = await request.json()
        on = day(str(body["date"]), clock.today())
    except (ValueError, KeyError, TypeError):
        return error(request, 400, "attendu : {\"date\": \"AAAA-MM-JJ\"}")
    except BordereauError as exc:
        return error(request, 422, str(exc))
    try:
        answer = await run_in_threadpool(dispatch.mark_sent, request.app.state.ledger, user, ref, on)
    except BordereauError as exc:
        return error(request, 422, str(exc))
    if answer is None:
        raise NotFound()
    return JSONResponse(answer)


async def _one_file(request: Request, field: str) -> tuple[str | None, bytes] | None:
    async with request.form(max_files=1, max_fields=5) as form:
        part = form.get(field)
        if part is None or isinstance(part, str):
            return None
        return part.filename, await part.read()


@router.post("/paiements")
async def payments(request: Request) -> Response:
    user = await run_in_threadpool(departement, request, True)
    sent_file = await _one_file(request, "releve")
    if sent_file is None:
        return error(request, 400, "champ « releve » attendu (multipart/form-data)")
    try:
        answer = await run_in_threadpool(statements.payments, request.app.state, user, *sent_file)
    except statements.Unreadable as exc:
        return error(request, 422, str(exc))
    return JSONResponse(answer)


@router.post("/rejets")
async def rejections(request: Request) -> Response:
    user = await run_in_threadpool(departement, request, True)
    sent_file = await _one_file(request, "etat")
    if sent_file is None:
        return error(request, 400, "champ « etat » attendu (multipart/form-data)")
    try:
        answer = await run_in_threadpool(statements.rejections, request.app.state, user, *sent_file)
    except statements.Unreadable as exc:
        return error(request, 422, str(exc))
    return JSONResponse(answer)


def _decided(request: Request, user, payment_id: int, number: str | None) -> Response:
    try:
        return JSONResponse(matching.decide(request.app.state.ledger, user, payment_id, number))
    except matching.UnknownPayment as exc:
        return error(request, 404, str(exc))
    except BordereauError as exc:  # already matched or set aside, unknown bordereau: nothing changed
        return error(request, 422, str(exc))


@router.post("/paiements/{payment_id:int}/ignorer")
async def ignore_payment(request: Request, payment_id: int) -> Response:
    """`reconcile --ignorer ID --json`: a credit that is not a CPAM payment, set aside."""
    user = await run_in_threadpool(departement, request, True)
    return await run_in_threadpool(_decided, request, user, payment_id, None)


@router.post("/paiements/{payment_id:int}/affecter")
async def assign_payment(request: Request, payment_id: int) -> Response:
    """`reconcile --affecter ID NUMERO --json`: the whole payment allocated to bordereau `{"bordereau": NUMERO}`."""
    user = await run_in_threadpool(departement, request, True)
    try:
        number = str((await request.json())["bordereau"]).strip()
    except (ValueError, KeyError, TypeError):
        return error(request, 400, "attendu : {\"bordereau\": \"HPV-595-...\"}")
    return await run_in_threadpool(_decided, request, user, payment_id, number)


@router.get("/suivi")
def follow_up(request: Request) -> Response:
    departement(request)
    return JSONResponse(status(request.app.state.ledger, clock.today()).as_json())


@router.get("/journal")
def audit_log(request: Request, action: str | None = None, du: str | None = None, au: str | None = None,
              login: str | None = None) -> Response:
    departement(request)
    try:
        start, end = (day(du, None), day(au, None))
    except BordereauError as exc:
        return error(request, 422, str(exc))
    found = journal.events(request.app.state.ledger, 500, action, start, end, login)
    return JSONResponse([{**e, "at": e["at"].isoformat(timespec="seconds")} for e in found])
