"""The centre's flow through the service: the answer is `check --json`'s for that file (with the ledger), the page
shows the findings with the pupil's masked name and what to do, deposit, replacement, purge; and the accounts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from service import CAMBRAI, LILLE, PASSWORD, REF, TODAY, service, workbook  # noqa: F401 (service: the fixture)
from typer.testing import CliRunner

from cli import app as cli

A, B, DEP = "centre_a", "centre_b", "departement"
runner = CliRunner()


def check_json(service, folder: Path, name: str, monkeypatch) -> dict:
    """What `bordereau check --json NAME --db ...` says, run in the file's folder."""
    monkeypatch.chdir(folder)
    result = runner.invoke(cli, ["check", name, "--json", "--db", service.db, "--key-file", str(service.key),
                                 "--today", TODAY.isoformat()], catch_exceptions=False)
    return json.loads(result.stdout)


def test_the_answer_is_check_json_of_that_file_with_the_ledger(service, tmp_path: Path, monkeypatch):
    billed = workbook(tmp_path / "octobre.xlsx", n=4)
    runner.invoke(cli, ["export", str(billed), "--out", str(tmp_path / "export"), "--db", service.db,
                        "--key-file", str(service.key), "--today", TODAY.isoformat()], catch_exceptions=False)
    (tmp_path / "envoi").mkdir()
    again = workbook(tmp_path / "envoi" / "sps lille octobre.xlsx", n=4, error=True)  # the same doses, one wrong price
    answer = service.upload(A, again)
    assert answer.status_code == 201
    body = answer.json()
    expected = check_json(service, tmp_path / "envoi", "sps lille octobre.xlsx", monkeypatch)
    assert [body["file"]] == expected["files"]
    assert body["findings"] == expected["findings"]
    codes = sorted(f["code"] for f in body["findings"])
    assert codes.count("ALREADY_BILLED") == 4 and "PRICE_MISMATCH" in codes
    assert body["deposable"] is False
    assert service.as_(A).get(f"/api/bordereaux/{body['id']}").json() == {**body, "state": "contrôlé"}


def test_a_workbook_of_another_centre_is_refused_and_nothing_is_stored(service, tmp_path: Path):
    answer = service.upload(B, workbook(tmp_path / "lille.xlsx", LILLE))
    assert answer.status_code == 422
    assert "SPS de Lille" in answer.json()["detail"] and "rien n'a été enregistré" in answer.json()["detail"]
    assert (service.count("uploads"), service.count("stored_files")) == (0, 0)
    assert [e["action"] for e in json_events(service)].count("upload") == 0


def json_events(service) -> list[dict]:
    from bordereau.ledger.journal import events

    return events(service.ledger)


def test_deposit_needs_a_clean_bordereau_and_a_new_upload_replaces_the_old(service, tmp_path: Path):
    client, csrf = service.login(A)
    wrong = service.upload(A, workbook(tmp_path / "faux.xlsx", error=True)).json()
    refused = client.post(f"/api/bordereaux/{wrong['id']}/depot", headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 409 and "1 erreur(s)" in refused.json()["detail"]
    right = service.upload(A, workbook(tmp_path / "juste.xlsx")).json()
    assert right["deposable"] and right["findings"] == []
    done = client.post(f"/api/bordereaux/{right['id']}/depot", headers={"X-CSRF-Token": csrf})
    assert done.status_code == 200 and done.json() == {"id": right["id"], "state": "déposé"}
    states = {i["id"]: i["state"] for i in client.get("/api/bordereaux").json()}
    assert states == {wrong["id"]: "remplacé", right["id"]: "déposé"}
    newer = service.upload(A, workbook(tmp_path / "encore.xlsx")).json()  # replaces a deposited one too
    states = {i["id"]: i["state"] for i in client.get("/api/bordereaux").json()}
    assert states == {wrong["id"]: "remplacé", right["id"]: "remplacé", newer["id"]: "contrôlé"}
    actions = [e["action"] for e in json_events(service)]
    assert actions.count("upload") == 3 and actions.count("deposit") == 1


def test_the_file_is_stored_once_under_its_sha256(service, tmp_path: Path):
    import hashlib

    book = workbook(tmp_path / "w.xlsx")
    service.upload(A, book)
    service.upload(A, book)
    assert (service.count("uploads"), service.count("stored_files")) == (2, 1)
    with service.ledger.engine.connect() as connection:
        sha = connection.exec_driver_sql("SELECT sha256 FROM stored_files").scalar_one()
    assert sha == hashlib.sha256(book.read_bytes()).hexdigest()


def test_the_page_shows_findings_with_the_pupils_masked_name_and_what_to_do(service, tmp_path: Path):
    sent = service.upload(A, workbook(tmp_path / "faux.xlsx", error=True)).json()
    page = service.as_(A).get(f"/bordereaux/{sent['id']}").text
    [row] = re.findall(r"<tr class=\"error\">.*?</tr>", page, re.S)[-1:]
    assert "ELEVEB E. (2 13 03 59 *** *** **)" in row  # line 2: its pupil, NIR masked
    assert "PRICE_MISMATCH" in row and "Facturez le prix négocié" in row
    assert not re.search(r"\b[12]\d{12}\b", page)  # no NIR in clear
    annotated = service.as_(A).get(f"/api/bordereaux/{sent['id']}/annote.xlsx")
    assert annotated.headers["content-type"].startswith("application/vnd.openxmlformats")
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(annotated.content))
    assert book.sheetnames[0] == "Anomalies" and book["Anomalies"]["B2"].value == "PRICE_MISMATCH"
    # its « Élève » column names the pupil as the page does (it was empty: the CLI's copy names them)
    sheet = book["Anomalies"]
    assert (sheet["E1"].value, sheet["E2"].value) == ("Élève", "ELEVEB E. (2 13 03 59 *** *** **)")
    report = service.as_(A).get(f"/api/bordereaux/{sent['id']}/rapport.html").text
    assert "PRICE_MISMATCH" in report and "faux.xlsx" in report


def test_several_workbooks_dropped_at_once(service, tmp_path: Path):
    client, csrf = service.login(DEP)
    files = [("fichiers", ("lille.xlsx", workbook(tmp_path / "l.xlsx", LILLE).read_bytes())),
             ("fichiers", ("cambrai.xlsx", workbook(tmp_path / "c.xlsx", CAMBRAI, error=True).read_bytes())),
             ("fichiers", ("notes.xlsx", b"pas un classeur"))]
    page = client.post("/bordereaux", files=files, data={"csrf": csrf})
    assert page.status_code == 200
    assert page.text.count("Voir les anomalies") == 2 and "refusé" in page.text
    assert service.count("uploads") == 2
    # the reason a file is refused is said once (it was said, then listed again as a finding)
    assert page.text.count("n&#39;est pas un classeur Excel") == 1, page.text


def test_purge_removes_the_stored_files_and_findings(service, tmp_path: Path):
    sent = service.upload(A, workbook(tmp_path / "faux.xlsx", error=True)).json()
    result = runner.invoke(cli, ["purge", "--before", "2026-11-01", "--db", service.db, "--key-file",
                                 str(service.key)], catch_exceptions=False)
    assert result.exit_code == 0
    assert service.count("stored_files") == 0
    answer = service.as_(A).get(f"/api/bordereaux/{sent['id']}").json()
    assert answer["findings"] == [] and answer["file"] is None and answer["deposable"] is False
    assert service.as_(A).get(f"/api/bordereaux/{sent['id']}/annote.xlsx").status_code == 404
    assert "ELEVEB" not in service.as_(A).get(f"/bordereaux/{sent['id']}").text
    assert "purge" in [e["action"] for e in json_events(service)]


# -- accounts (bordereau users) -----------------------------------------------------------------------------------


def users(*args, stdin: str | None = None, code: int = 0):
    result = runner.invoke(cli, ["users", *args], input=stdin, catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def test_users_add_list_disable_password(tmp_path: Path):
    users("add", "cambrai", "--role", "centre", "--centre", CAMBRAI, "--password-stdin", stdin=PASSWORD + "\n")
    users("add", "caisse", "--role", "cpam", "--cpam", "599", "--password-stdin", stdin=PASSWORD + "\n")
    listed = users("list").output
    assert re.search(r"cambrai\s+│\s+centre\s+│\s+590780011\s+│\s+oui", listed)
    assert re.search(r"caisse\s+│\s+cpam\s+│\s+599", listed)
    users("disable", "caisse")
    assert re.search(r"caisse\s+│\s+cpam\s+│\s+599\s+│\s+non", users("list").output)
    users("password", "caisse", "--password-stdin", stdin="un autre mot de passe\n")
    assert re.search(r"caisse\s+│\s+cpam\s+│\s+599\s+│\s+oui", users("list").output)
    from bordereau.ledger import open_ledger
    from bordereau.ledger.accounts import authenticate

    ledger = open_ledger()
    assert authenticate(ledger, "caisse", PASSWORD) is None
    assert authenticate(ledger, "caisse", "un autre mot de passe").cpam == "599"
    with ledger.engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT password_hash FROM users WHERE login='caisse'").scalar_one()
    assert stored.startswith("$argon2id$")


@pytest.mark.parametrize(("args", "message"), [
    (["xy", "--role", "centre", "--centre", "590780102"], "mot de passe trop court"),
    (["xy", "--role", "centre", "--centre", "123456789"], "FINESS géographique inconnu"),
    (["xy", "--role", "centre"], "au moins un --centre"),
    (["xy", "--role", "cpam", "--cpam", "999"], "caisse « 999 » inconnue"),
    (["xy", "--role", "cpam"], "un compte cpam a besoin de --cpam CODE (594, 595, 597, 599)"),  # was « None »
    (["xy", "--role", "chef"], "rôle « chef » inconnu"),
])
def test_users_add_refuses_with_one_line(args, message):
    stdin = "court\n" if "trop court" in message else PASSWORD + "\n"
    result = users("add", *args, "--password-stdin", stdin=stdin, code=2)
    said = [line for line in result.output.strip().splitlines() if not line.startswith("Clé du registre créée")]
    assert message in result.output and len(said) == 1


def test_a_service_without_accounts_says_how_to_create_one(tmp_path: Path):
    from service import TestClient

    from bordereau.web import create_app

    app = create_app(str(tmp_path / "vide.sqlite"), tmp_path / "k.key")
    page = TestClient(app).get("/connexion")
    assert "bordereau users add" in page.text
    app.state.checker.close()
    assert REF.centre_by_finess[LILLE].nom == "SPS de Lille"


def test_every_finding_code_has_its_advice():
    """The page shows the same « pour corriger » sentence as the report and the Anomalies sheet."""
    from bordereau.findings import CODES
    from bordereau.fixes import FIXES

    assert set(CODES) <= set(FIXES)
