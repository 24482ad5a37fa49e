"""Every route of the service for every kind of visitor: the status code SERVICE.md allows, and nothing more.

Without a session: 401 for the API, a redirect to the login page for pages; what an account may not see: 404."""

from __future__ import annotations

import pytest
from service import CAMBRAI, ENGINES, LILLE, ROLES, TODAY, running, workbook

from bordereau import clock

A, B, DEP, C595, C599, ANON = "centre_a", "centre_b", "departement", "cpam_595", "cpam_599", "anonyme"


def statuses(anonyme, centre_a, centre_b, departement, cpam_595, cpam_599) -> dict[str, int]:
    return dict(zip(ROLES, (anonyme, centre_a, centre_b, departement, cpam_595, cpam_599), strict=True))


# route -> expected status per visitor (the upload routes send a workbook of centre A, SPS de Lille)
EXPECTED = {
    "POST /api/session": statuses(401, 200, 200, 200, 200, 200),
    "DELETE /api/session": statuses(401, 204, 204, 204, 204, 204),
    "POST /api/bordereaux": statuses(401, 201, 422, 201, 404, 404),
    "GET /api/bordereaux": statuses(401, 200, 200, 200, 404, 404),
    "GET /api/bordereaux/{id}": statuses(401, 200, 404, 200, 404, 404),
    "GET /api/bordereaux/{id}/annote.xlsx": statuses(401, 200, 404, 200, 404, 404),
    "GET /api/bordereaux/{id}/rapport.html": statuses(401, 200, 404, 200, 404, 404),
    "POST /api/bordereaux/{id}/depot": statuses(401, 200, 404, 404, 404, 404),
    "GET /api/nulle-part": statuses(404, 404, 404, 404, 404, 404),
    "GET /": statuses(303, 303, 303, 303, 303, 303),
    "GET /connexion": statuses(200, 200, 200, 200, 200, 200),
    "POST /deconnexion": statuses(303, 303, 303, 303, 303, 303),
    "GET /bordereaux": statuses(303, 200, 200, 200, 404, 404),
    "POST /bordereaux": statuses(303, 303, 422, 303, 404, 404),
    "GET /bordereaux/{id}": statuses(303, 200, 404, 200, 404, 404),
    "POST /bordereaux/{id}/depot": statuses(303, 303, 404, 404, 404, 404),
    "GET /cpam": statuses(303, 404, 404, 404, 200, 200),
    "GET /api/depots": statuses(401, 404, 404, 200, 404, 404),
    "GET /api/exports": statuses(401, 404, 404, 200, 200, 200),
    "GET /api/exports/1.zip": statuses(401, 404, 404, 404, 404, 404),  # no export yet
    "GET /api/suivi": statuses(401, 404, 404, 200, 404, 404),
    "GET /api/journal": statuses(401, 404, 404, 200, 404, 404),
    "GET /departement": statuses(303, 404, 404, 200, 404, 404),
    "GET /suivi": statuses(303, 404, 404, 200, 404, 404),
    "GET /journal": statuses(303, 404, 404, 200, 404, 404),
}


@pytest.fixture(scope="module", params=ENGINES)
def service(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("service")
    with running(request.param, folder) as made:
        made.clean = workbook(folder / "lille.xlsx", LILLE)
        with clock.fixed(TODAY):
            made.upload_id = made.upload(A, made.clean).json()["id"]
        yield made


@pytest.fixture(autouse=True)
def fixed_day():
    with clock.fixed(TODAY):
        yield


def _fresh_upload(service) -> int:
    """A new clean upload of centre A (it replaces the previous one of the same period, which is then 'remplacé')."""
    answer = service.upload(A, service.clean)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def call(service, route: str, role: str):
    method, path = route.split(" ", 1)
    if method in ("POST", "DELETE"):
        client, csrf = service.login(role)  # its own session: logging out must not end the others'
    else:
        client, csrf = service.as_(role) if role != ANON else service.client(), ""
    if "{id}" in path:
        path = path.replace("{id}", str(_fresh_upload(service) if "depot" in path else service.upload_id))
    headers = {"X-CSRF-Token": csrf}
    if route == "POST /api/session":
        return service.client().post(path, json={"login": role, "password": "correct horse battery"})
    if route == "POST /api/bordereaux":
        return client.post(path, files={"fichier": ("lille.xlsx", service.clean.read_bytes())}, headers=headers)
    if route == "POST /bordereaux":
        return client.post(path, files=[("fichiers", ("lille.xlsx", service.clean.read_bytes()))],
                           data={"csrf": csrf})
    if method == "POST" and not path.startswith("/api/"):
        return client.post(path, data={"csrf": csrf})
    return client.request(method, path, headers=headers)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", list(EXPECTED))
def test_route_answers_each_role_as_the_contract_says(service, route: str, role: str):
    answer = call(service, route, role)
    assert answer.status_code == EXPECTED[route][role], (route, role, answer.text[:300])
    if answer.status_code == 303 and role == ANON:
        assert answer.headers["location"] == "/connexion"
    if answer.status_code in (401, 404) and route.split(" ", 1)[1].startswith("/api/"):
        assert "detail" in answer.json()


def test_lists_show_each_account_its_own_centres_only(service):
    service.upload(DEP, workbook(service.folder / "cambrai.xlsx", CAMBRAI))
    seen = {role: {i["finess_geographique"] for i in service.as_(role).get("/api/bordereaux").json()}
            for role in (A, B, DEP)}
    assert seen == {A: {LILLE}, B: {CAMBRAI}, DEP: {LILLE, CAMBRAI}}
    page_b = service.as_(B).get("/bordereaux").text
    assert "SPS de Lille" not in page_b and "lille.xlsx" not in page_b


def test_a_cpam_sees_no_upload_even_by_number(service):
    for role in (C595, C599):
        assert service.as_(role).get(f"/api/bordereaux/{service.upload_id}").status_code == 404
        assert service.as_(role).get(f"/bordereaux/{service.upload_id}").status_code == 404
