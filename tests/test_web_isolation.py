"""Isolation through every route of the app, found by enumerating `app.routes` (a route added later is covered, or
this test fails until its path parameter is named below): the CPAM 599 agent and a centre account get 404 on every
object of CPAM 595 (its export, its audit and statements, its centre's upload), lists and pages show them nothing of
it; without a session the API answers 401 and the pages send to the login page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from service import CAMBRAI, ENGINES, LILLE, TODAY, running, workbook
from starlette.routing import Route
from typer.testing import CliRunner

from bordereau import clock

runner = CliRunner()
OUTSIDERS = ("cpam_599", "centre_b")  # centre_b is the SPS de Cambrai (CPAM 599)
OPEN = {"POST /api/session", "GET /connexion", "POST /connexion"}  # what one calls to log in


@pytest.fixture(scope="module", params=ENGINES)
def service(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("isolation")
    with running(request.param, folder) as made, clock.fixed(TODAY):
        made.objects, made.secrets = _objects_of_595(made, folder)
        yield made


def _post(service, role: str, url: str, **kwargs):
    return service.as_(role).post(url, headers={"X-CSRF-Token": service.csrf[role]}, **kwargs)


def _objects_of_595(service, folder: Path) -> tuple[dict[str, int | str], list[str]]:
    """An export for CPAM 595 alone (then one for 599 alone), made by the Département from its centres' deposits, an
    audit of the 595 agent, an upload of Lille's centre: the path parameters that name them, and texts that would
    betray them."""
    for role, name, finess, first, cpam in (("centre_a", "lille", LILLE, 0, "595"),
                                            ("centre_b", "cambrai", CAMBRAI, 20, "599")):
        upload = service.upload(role, workbook(folder / f"{name}.xlsx", finess, n=3, first=first)).json()["id"]
        assert _post(service, role, f"/api/bordereaux/{upload}/depot").status_code == 200
        assert _post(service, "departement", "/api/exports", json={"cpam": cpam}).status_code == 201
    client = service.as_("cpam_595")
    [export] = client.get("/api/exports").json()
    assert export["cpam"] == "595"
    audited = _post(service, "cpam_595", "/api/audits", data={"export": str(export["id"])})
    assert audited.status_code == 201, audited.text
    audit_id = int(audited.headers["location"].rsplit("/", 1)[1])
    upload = service.upload("centre_a", workbook(folder / "octobre.xlsx", LILLE, n=2, first=40)).json()
    number = export["bordereaux"][0]
    statement = b"Date;Payeur;Montant;Libell\xc3\xa9\n23/11/2026;CPAM 595;7,77;VIR DIVERS\n"  # a payment left unmatched
    [payment] = _post(service, "departement", "/api/paiements",
                      files={"releve": ("releve.csv", statement)}).json()["unmatched"]
    objects = {"export_id": export["id"], "ref": export["id"], "name": export["to_sign"][0], "audit_id": audit_id,
               "upload_id": upload["id"], "payment_id": payment["id"]}
    return objects, [number, f"/exports/{export['id']}.zip", f"/audits/{audit_id}\"", "octobre.xlsx", "VIR DIVERS"]


def routes(app) -> list[tuple[str, str]]:
    """(method, path) of every route of the app, routers included (FastAPI keeps an included router whole)."""
    found = []

    def walk(items, prefix: str) -> None:
        for route in items:
            if isinstance(route, Route):
                found.extend((m, prefix + route.path) for m in sorted(route.methods or ()) if m != "HEAD")
            elif hasattr(route, "original_router"):
                walk(route.original_router.routes, prefix + route.include_context.prefix)
            elif hasattr(route, "routes"):  # a mounted application
                walk(route.routes, prefix + getattr(route, "path", ""))
            else:
                raise AssertionError(f"route d'un type inconnu de ce test : {route!r}")

    walk(app.routes, "")
    return found


def _call(service, role: str, method: str, path: str, extra: dict | None = None):
    client, csrf = service.login(role) if role != "anonyme" else (service.client(), "")
    data = {"csrf": csrf, **(extra or {})}
    return client.request(method, path, headers={"X-CSRF-Token": csrf}, data=data if method == "POST" else None)


def _filled(service, path: str) -> str:
    names = re.findall(r"{(\w+)(?::\w+)?}", path)
    unknown = [n for n in names if n not in service.objects]
    assert not unknown, f"{path} : paramètre {unknown} inconnu de ce test ; nommez l'objet de la CPAM 595 qu'il désigne"
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: str(service.objects[m.group(1)]), path)


def test_the_app_has_the_agents_routes(service):
    paths = {path for _, path in routes(service.app)}
    assert {"/api/audits", "/api/audits/{audit_id}/rejets.xlsx", "/api/exports/{ref:int}.zip", "/cpam",
            "/cpam/audits/{audit_id}"} <= paths


@pytest.mark.parametrize("role", OUTSIDERS)
def test_every_route_naming_an_object_of_595_is_404_for_outsiders(service, role: str):
    checked = 0
    for method, path in routes(service.app):
        if "{" not in path:
            continue
        answer = _call(service, role, method, _filled(service, path))
        assert answer.status_code == 404, (role, method, path, answer.status_code, answer.text[:200])
        checked += 1
    assert checked >= 12


@pytest.mark.parametrize("role", OUTSIDERS)
def test_no_list_nor_page_shows_an_object_of_595_to_outsiders(service, role: str):
    for method, path in routes(service.app):
        if "{" in path or f"{method} {path}" in OPEN or method != "GET":
            continue
        answer = _call(service, role, method, path)
        if answer.status_code == 200:
            for secret in service.secrets:
                assert secret not in answer.text, (role, path, secret)


@pytest.mark.parametrize("path", ["/api/audits", "/cpam/audits"])
def test_the_599_agent_cannot_audit_the_export_of_595(service, path: str):
    before = service.count("service_audits")
    answer = _call(service, "cpam_599", "POST", path, {"export": str(service.objects["export_id"])})
    assert answer.status_code == 404 and service.count("service_audits") == before


def test_without_a_session_the_api_is_401_and_pages_send_to_the_login_page(service):
    for method, path in routes(service.app):
        if f"{method} {path}" in OPEN:
            continue
        answer = _call(service, "anonyme", method, _filled(service, path))
        if path.startswith("/api/"):
            assert answer.status_code == 401, (method, path, answer.status_code)
        else:
            assert (answer.status_code, answer.headers.get("location")) == (303, "/connexion"), (method, path)


def test_the_595_agent_reaches_each_of_its_objects(service):
    """The other side of the coin: the same routes do answer the one they belong to."""
    for path in ("/api/exports/{ref}.zip", "/api/exports/{ref}/fichiers/{name}", "/api/audits/{audit_id}",
                 "/api/audits/{audit_id}/rejets.xlsx", "/api/audits/{audit_id}/rejets.pdf", "/cpam/audits/{audit_id}"):
        assert _call(service, "cpam_595", "GET", _filled(service, path)).status_code == 200, path
    page = _call(service, "cpam_595", "GET", "/cpam").text
    assert all(secret in page for secret in service.secrets[:3])  # what the lists must not show others is shown
