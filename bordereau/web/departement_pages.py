"""The Département's pages: the week's deposits and the exports (/departement), the follow-up with payment and rejection
statements and the unmatched payments' actions (/suivi), the audit log (/journal). Plain forms with the session's
CSRF token, no JavaScript; every operation is the API's (departement.py), itself a library call."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from bordereau import clock
from bordereau.errors import BordereauError
from bordereau.ledger import deposits, dispatch, journal
from bordereau.ledger.status import status
from bordereau.render.ledger_views import status_context
from bordereau.web.departement import day, departement, make_export, span
from bordereau.web.views import page

from . import exports, matching, statements
from . import security as sec

router = APIRouter()
ACTIONS = {"login": "connexion", "login_failed": "connexion refusée", "login_refused": "connexion bloquée",
           "logout": "déconnexion", "upload": "envoi", "deposit": "dépôt", "export": "export", "sent": "envoyé",
           "download": "téléchargement", "payment": "paiements", "rejection": "rejets", "audit": "audit",
           "report": "rapport", "statement": "état des rejets", "purge": "purge", "user_add": "compte créé",
           "user_disable": "compte désactivé", "user_password": "mot de passe changé"}


async def _form(request: Request, files: int = 0):
    session = await run_in_threadpool(sec.session_of, request)
    form = await request.form(max_files=files, max_fields=5)
    sec.check_csrf(request, session, str(form.get("csrf", "")))
    if session.user.role != "departement":
        raise sec.NotFound()
    return session.user, form


@router.get("/departement")
def week_route(request: Request, du: str | None = None, au: str | None = None) -> Response:
    departement(request)
    return week_page(request, du, au)


def week_page(request: Request, du: str | None = None, au: str | None = None, message: str | None = None,
              ok: bool = True, status_code: int = 200, findings: list | None = None) -> Response:
    state = request.app.state
    try:
        start, end = span(du, au)
    except BordereauError as exc:
        start, end = deposits.week_of(clock.today())
        message, ok, status_code = str(exc), False, 422
    week = deposits.deposits(state.ledger, state.reference, start, end, clock.today())
    made = dispatch.listing(state.ledger, sec.session_of(request).user)
    previous, following = start - dt.timedelta(days=7), start + dt.timedelta(days=7)
    return page(request, "web/departement.html.j2", status=status_code, week=week, start=start, end=end,
                previous=previous, following=following, waiting=dispatch.waiting(state.ledger),
                cpams=state.reference.cpams, exports=made, message=message, ok=ok, findings=findings or [],
                today=clock.today())


@router.post("/departement/exports")
async def export(request: Request) -> Response:
    user, form = await _form(request)
    cpam = str(form.get("cpam", "")).strip()
    try:
        made = await run_in_threadpool(make_export, request, user, cpam)
    except exports.Refused as refused:
        return await run_in_threadpool(week_page, request, None, None, f"Export refusé : {refused}.", False, 409,
                                       refused.findings)
    except exports.UnknownCpam as unknown:
        return await run_in_threadpool(week_page, request, None, None, f"{unknown}.", False, 422)
    except BordereauError as exc:
        return await run_in_threadpool(week_page, request, None, None, f"Export impossible : {exc}.", False, 409)
    numbers = ", ".join(f["number"] for f in made.manifest["files"])
    return await run_in_threadpool(week_page, request, None, None,
                                   f"Export {made.id} fait pour la CPAM {cpam} : {numbers or 'aucun bordereau'}.")


@router.post("/departement/exports/{ref:int}/envoi")
async def sent(request: Request, ref: int) -> Response:
    user, form = await _form(request)
    try:
        on = day(str(form.get("date", "")), clock.today())
        answer = await run_in_threadpool(dispatch.mark_sent, request.app.state.ledger, user, ref, on)
    except BordereauError as exc:
        return await run_in_threadpool(week_page, request, None, None, f"Non enregistré : {exc}.", False, 422)
    if answer is None:
        raise sec.NotFound()
    return RedirectResponse("/departement", status_code=303)


@router.get("/suivi")
def follow_up_route(request: Request) -> Response:
    departement(request)
    return follow_up_page(request)


def follow_up_page(request: Request, result: dict | None = None, kind: str | None = None,
                   message: str | None = None, status_code: int = 200) -> Response:
    state = request.app.state
    names = {code: c.nom for code, c in state.reference.cpams.items()}
    context = status_context(status(state.ledger, clock.today()), names)
    return page(request, "web/suivi.html.j2", status=status_code, result=result, kind=kind, message=message,
                payment_actions=True, **context)


async def _statement(request: Request, field: str, operation, kind: str) -> Response:
    user, form = await _form(request, files=1)
    part = form.get(field)
    if part is None or isinstance(part, str) or not part.filename:
        return await run_in_threadpool(follow_up_page, request, None, kind, "Choisissez un fichier.", 422)
    content = await part.read()
    try:
        result = await run_in_threadpool(operation, request.app.state, user, part.filename, content)
    except statements.Unreadable as exc:
        return await run_in_threadpool(follow_up_page, request, None, kind, f"Rien n'a été importé : {exc}.", 422)
    return await run_in_threadpool(follow_up_page, request, result, kind)


@router.post("/suivi/paiements")
async def payments(request: Request) -> Response:
    return await _statement(request, "releve", statements.payments, "paiements")


@router.post("/suivi/rejets")
async def rejections(request: Request) -> Response:
    return await _statement(request, "etat", statements.rejections, "rejets")


def _decided_page(request: Request, user, payment_id: int, number: str | None) -> Response:
    if number == "":
        return follow_up_page(request, None, "manuel", "Saisissez le numéro du bordereau auquel affecter ce paiement.",
                              422)
    try:
        result = matching.decide(request.app.state.ledger, user, payment_id, number)
    except matching.UnknownPayment:
        raise sec.NotFound() from None
    except BordereauError as exc:
        return follow_up_page(request, None, "manuel", f"Rien n'a été changé : {exc}.", 422)
    return follow_up_page(request, result, "manuel")


@router.post("/suivi/paiements/{payment_id:int}/ignorer")
async def ignore_payment(request: Request, payment_id: int) -> Response:
    user, _form_data = await _form(request)
    return await run_in_threadpool(_decided_page, request, user, payment_id, None)


@router.post("/suivi/paiements/{payment_id:int}/affecter")
async def assign_payment(request: Request, payment_id: int) -> Response:
    user, form = await _form(request)
    return await run_in_threadpool(_decided_page, request, user, payment_id, str(form.get("bordereau", "")).strip())


@router.get("/journal")
def audit_log_page(request: Request, action: str | None = None, du: str | None = None,
                   au: str | None = None) -> Response:
    departement(request)
    ledger = request.app.state.ledger
    message = None
    try:
        start, end = day(du, None), day(au, None)
    except BordereauError as exc:
        start = end = None
        message = str(exc)
    found = journal.events(ledger, 500, action or None, start, end)
    return page(request, "web/journal.html.j2", status=422 if message else 200, events=found, message=message,
                actions=journal.actions(ledger), names=ACTIONS, action=action or "", du=start, au=end)
