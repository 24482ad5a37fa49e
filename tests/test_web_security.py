"""The Security section of SERVICE.md: CSRF, sessions (logout, idle timeout, new id at login), login throttling,
and hostile uploads that get a clear answer, leave nothing behind and never take the service down."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from service import LILLE, PASSWORD, TODAY, far_cell, running, workbook, zip_bomb

from bordereau import clock
from bordereau.ledger.journal import events

A, B, DEP = "centre_a", "centre_b", "departement"


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    with running("sqlite", tmp_path_factory.mktemp("security")) as made:
        yield made


@pytest.fixture(autouse=True)
def fixed_day():
    with clock.fixed(TODAY):
        yield


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch) -> Path:
    """The service's temporary files go here, so that a test can see that none is left."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def leftovers(folder: Path) -> list[Path]:
    """What the service left in the temporary folder (multiprocessing's own folder, pymp-*, lives as long as the
    process and holds no upload)."""
    return [p for p in folder.iterdir() if not p.name.startswith("pymp-")]


# -- CSRF ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "pas-le-bon"])
def test_state_changing_api_calls_need_the_sessions_csrf_token(service, tmp_path: Path, token):
    client, _csrf = service.login(A)
    headers = {} if token is None else {"X-CSRF-Token": token}
    book = workbook(tmp_path / "b.xlsx")
    before = service.count("uploads")
    assert client.post("/api/bordereaux", files={"fichier": ("b.xlsx", book.read_bytes())},
                       headers=headers).status_code == 403
    assert service.count("uploads") == before
    assert client.post("/api/bordereaux/1/depot", headers=headers).status_code == 403
    assert client.delete("/api/session", headers=headers).status_code == 403
    assert client.get("/api/bordereaux").status_code == 200  # the session is still there


def test_another_sessions_token_is_refused(service):
    client, _ = service.login(A)
    _, other = service.login(A)
    assert client.delete("/api/session", headers={"X-CSRF-Token": other}).status_code == 403


@pytest.mark.parametrize("token", [None, "pas-le-bon"])
def test_forms_need_the_csrf_field(service, tmp_path: Path, token):
    client, csrf = service.login(A)
    data = {} if token is None else {"csrf": token}
    book = workbook(tmp_path / "b.xlsx")
    assert client.post("/bordereaux", files=[("fichiers", ("b.xlsx", book.read_bytes()))],
                       data=data).status_code == 403
    assert client.post("/deconnexion", data=data).status_code == 403
    assert client.get("/bordereaux").status_code == 200
    assert client.post("/deconnexion", data={"csrf": csrf}).status_code == 303


def test_refusals_on_pages_speak_to_people_and_the_api_to_scripts(service):
    """A page said « jeton CSRF absent ou incorrect » and « introuvable »: words for programmers."""
    client, _ = service.login(A)
    refused = client.post("/deconnexion", data={"csrf": "ancien"})
    assert refused.status_code == 403 and "CSRF" not in refused.text
    assert "formulaire n&#39;est plus valable" in refused.text and "rechargez la page" in refused.text
    for missing in ("/bordereaux/999", "/nulle-part"):
        page = client.get(missing)
        assert page.status_code == 404 and "Cette page n&#39;existe pas, ou votre compte ne peut pas la voir" in (
            page.text)
    assert client.get("/api/bordereaux/999").json() == {"detail": "introuvable"}
    assert client.delete("/api/session", headers={"X-CSRF-Token": "ancien"}).json()["detail"].startswith("jeton CSRF")


def test_login_form_needs_its_own_token(service):
    client = service.client()
    assert client.post("/connexion", data={"login": A, "password": PASSWORD, "csrf": "x"}).status_code == 403
    page = client.get("/connexion")
    token = page.text.split('name="csrf" value="')[1].split('"')[0]
    answer = client.post("/connexion", data={"login": A, "password": PASSWORD, "csrf": token})
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    assert client.get("/bordereaux").status_code == 200


# -- sessions -----------------------------------------------------------------------------------------------------


def test_cookie_flags_and_security_headers(service):
    client = service.client()
    answer = client.post("/api/session", json={"login": A, "password": PASSWORD})
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["x-frame-options"] == "DENY"


def test_no_session_survives_logout(service):
    client, csrf = service.login(A)
    cookie = client.cookies.get("bordereau_session")
    assert client.delete("/api/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    replay = service.client()
    replay.cookies.set("bordereau_session", cookie)
    assert replay.get("/api/bordereaux").status_code == 401
    assert replay.get("/bordereaux").headers["location"] == "/connexion"


def test_no_session_survives_thirty_idle_minutes(service):
    client, _ = service.login(A)
    with clock.shifted(dt.timedelta(minutes=29)):
        assert client.get("/api/bordereaux").status_code == 200  # activity: the idle time starts again
    with clock.shifted(dt.timedelta(minutes=29 + 29)):
        assert client.get("/api/bordereaux").status_code == 200
    with clock.shifted(dt.timedelta(minutes=29 + 29 + 31)):
        assert client.get("/api/bordereaux").status_code == 401
    assert client.get("/api/bordereaux").status_code == 401  # ended, not just refused once


def test_login_gives_a_new_session_id(service):
    client, _ = service.login(A)
    first = client.cookies.get("bordereau_session")
    client.post("/api/session", json={"login": A, "password": PASSWORD})
    second = client.cookies.get("bordereau_session")
    assert first != second
    stale = service.client()
    stale.cookies.set("bordereau_session", first)
    assert stale.get("/api/bordereaux").status_code == 401


def test_a_disabled_account_loses_its_sessions(service):
    from service import REF

    from bordereau.ledger.accounts import add_user, disable_user

    add_user(service.ledger, REF, "temporaire", PASSWORD, "centre", [LILLE])
    client, _ = service.login("temporaire")
    disable_user(service.ledger, "temporaire")
    assert client.get("/api/bordereaux").status_code == 401
    assert service.client().post("/api/session", json={"login": "temporaire", "password": PASSWORD}).status_code == 401


# -- login throttling ---------------------------------------------------------------------------------------------


def test_the_sixth_wrong_password_is_refused_even_with_the_right_one(service):
    from service import REF

    from bordereau.ledger.accounts import add_user

    add_user(service.ledger, REF, "lent", PASSWORD, "departement")
    client = service.client()
    for _ in range(5):
        assert client.post("/api/session", json={"login": "lent", "password": "mauvais"}).status_code == 401
    refused = client.post("/api/session", json={"login": "lent", "password": PASSWORD})
    assert refused.status_code == 401
    unknown = [client.post("/api/session", json={"login": "inconnu", "password": "x"}) for _ in range(6)][-1]
    assert unknown.json() == refused.json()  # nothing tells an existing login from another
    with clock.shifted(dt.timedelta(minutes=14)):
        assert client.post("/api/session", json={"login": "lent", "password": PASSWORD}).status_code == 401
    with clock.shifted(dt.timedelta(minutes=16)):
        assert client.post("/api/session", json={"login": "lent", "password": PASSWORD}).status_code == 200
    assert "mauvais" not in str(events(service.ledger))  # passwords are never logged


# -- hostile uploads ----------------------------------------------------------------------------------------------


def _hostile(tmp_path: Path, kind: str) -> tuple[str, bytes]:
    if kind == "texte":
        return "notes.xlsx", b"ceci n'est pas un classeur\n" * 100
    if kind == "bombe":
        return "bombe.xlsx", zip_bomb(tmp_path / "bombe.xlsx").read_bytes()
    if kind == "xfd":
        return "loin.xlsx", far_cell(tmp_path / "loin.xlsx").read_bytes()
    return "vide.xlsx", b""


@pytest.mark.parametrize("kind", ["texte", "bombe", "xfd", "vide"])
def test_hostile_uploads_get_a_clear_answer_and_leave_nothing(service, tmp_path: Path, private_tmp: Path, kind):
    name, content = _hostile(tmp_path, kind)
    client, csrf = service.login(A)
    stored, files = service.count("uploads"), service.count("stored_files")
    answer = client.post("/api/bordereaux", files={"fichier": (name, content)}, headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 422
    body = answer.json()
    assert body["detail"].startswith("Fichier illisible") and "rien n'a été enregistré" in body["detail"]
    assert [f["code"] for f in body["findings"]] == ["FILE_UNREADABLE"]
    assert (service.count("uploads"), service.count("stored_files")) == (stored, files)
    assert leftovers(private_tmp) == []
    other, _ = service.login(B)  # the service still answers, the next check too
    assert other.get("/api/bordereaux").status_code == 200
    assert service.upload(A, workbook(tmp_path / "ok.xlsx")).status_code == 201


def test_the_cell_at_xfd1048576_never_takes_the_service_down(service, tmp_path: Path):
    answer = service.upload(A, far_cell(tmp_path / "loin.xlsx"))
    # refused before the reader allocates it (bordereau/read/extent.py); a reader that aborts would be caught as well
    assert answer.json()["findings"][0]["code"] == "FILE_UNREADABLE"


def test_a_25_mb_upload_is_refused_with_413(service, tmp_path: Path, private_tmp: Path):
    client, csrf = service.login(A)
    stored = service.count("uploads")
    answer = client.post("/api/bordereaux", files={"fichier": ("gros.xlsx", b"PK" + b"\0" * (25 * 2**20))},
                         headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 413 and "20 Mo" in answer.json()["detail"]
    assert service.count("uploads") == stored and leftovers(private_tmp) == []
    page = service.login(A)[0].post("/bordereaux", files=[("fichiers", ("gros.xlsx", b"\0" * (25 * 2**20)))])
    assert page.status_code == 413 and "20 Mo" in page.text
    assert client.get("/api/bordereaux").status_code == 200


def test_a_name_with_a_path_is_only_shown_never_used(service, tmp_path: Path, private_tmp: Path, monkeypatch):
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    answer = service.upload(A, workbook(tmp_path / "w.xlsx"), name="../../x.xlsx")
    assert answer.status_code == 201
    assert answer.json()["file"]["path"] == "x.xlsx"
    assert not (tmp_path / "x.xlsx").exists() and not list(tmp_path.rglob("x.xlsx"))
    assert leftovers(private_tmp) == []
    listed = service.as_(A).get("/api/bordereaux").json()
    assert listed[0]["file_name"] == "x.xlsx"
    assert service.as_(A).get(f"/api/bordereaux/{answer.json()['id']}/annote.xlsx").headers[
        "content-disposition"].startswith('attachment; filename="x-anomalies.xlsx"')
