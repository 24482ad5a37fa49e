"""The Département's side of the service, through the API and its pages: the week's deposits, the export per CPAM (the
`export` command's, ledger included), its zip and PDFs, « envoyé le », payment and rejection statements, the
follow-up, the audit log; each route's roles; the same answers and cents as the CLI on the same files; two exports of
one CPAM at once never share a line or a number."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from service import CAMBRAI, LILLE, REF, ROUBAIX, TODAY, service, workbook  # noqa: F401 (service: the fixture)
from typer.testing import CliRunner

from bordereau import clock
from cli import app as cli

DEP = "departement"
runner = CliRunner()


def deposit(service, role: str, path: Path) -> int:
    """Upload and deposit a clean workbook as a centre; its upload id."""
    answer = service.upload(role, path)
    assert answer.status_code == 201, answer.text
    upload = answer.json()["id"]
    done = service.as_(role).post(f"/api/bordereaux/{upload}/depot", headers={"X-CSRF-Token": service.csrf[role]})
    assert done.json()["state"] == "déposé"
    return upload


def three_centres(service, folder: Path) -> dict[str, Path]:
    """Lille (595, 3 lines), Roubaix (595, 1 line), Cambrai (599, 2 lines) deposit their October bordereaux."""
    folder.mkdir(exist_ok=True)
    files = {"centre_a": workbook(folder / "lille.xlsx", LILLE, n=3, first=0),
             "centre_c": workbook(folder / "roubaix.xlsx", ROUBAIX, n=1, first=10),
             "centre_b": workbook(folder / "cambrai.xlsx", CAMBRAI, n=2, first=20)}
    for role, path in files.items():
        deposit(service, role, path)
    return files


def post(service, role: str, url: str, **kwargs):
    service.as_(role)
    return service.clients[role].post(url, headers={"X-CSRF-Token": service.csrf[role]}, **kwargs)


def cli_run(*args, code: int | None = 0):
    result = runner.invoke(cli, [*map(str, args), "--today", TODAY.isoformat()], catch_exceptions=False)
    if code is not None:
        assert result.exit_code == code, result.stdout + result.stderr
    return result


ROUTES = [("get", "/api/depots"), ("post", "/api/exports"), ("get", "/api/exports/1.zip"),
          ("get", "/api/exports/1/fichiers/recapitulatif-595.pdf"), ("post", "/api/exports/1/envoi"),
          ("post", "/api/paiements"), ("post", "/api/paiements/1/ignorer"), ("post", "/api/paiements/1/affecter"),
          ("post", "/api/rejets"), ("get", "/api/suivi"), ("get", "/api/journal")]
PAGES = ["/departement", "/suivi", "/journal"]


def test_each_route_answers_404_to_a_centre_and_401_without_a_session(service, tmp_path: Path):
    three_centres(service, tmp_path / "envois")
    made = post(service, DEP, "/api/exports", json={"cpam": "595"})
    assert made.status_code == 201 and made.json()["id"] == 1
    anonymous = service.client()
    for method, url in ROUTES:
        assert getattr(anonymous, method)(url).status_code == 401, url
        for role in ("centre_a", "cpam_599"):
            client = service.as_(role)
            answer = getattr(client, method)(url, headers={"X-CSRF-Token": service.csrf[role]})
            assert answer.status_code == 404, (role, url, answer.text)
            assert answer.json() == {"detail": "introuvable"}
    for url in PAGES:
        assert anonymous.get(url).headers["location"] == "/connexion"
        assert service.as_("centre_a").get(url).status_code == 404
        assert service.as_(DEP).get(url).status_code == 200
    # the addressed CPAM lists and downloads its export, not the other's; a centre has no exports
    assert [e["id"] for e in service.as_("cpam_595").get("/api/exports").json()] == [1]
    assert service.as_("cpam_595").get("/api/exports/1.zip").status_code == 200
    assert service.as_("cpam_599").get("/api/exports").json() == []
    assert service.as_("centre_a").get("/api/exports").status_code == 404
    # only the Département exports, marks sent, imports: the CPAM account gets 404 too
    assert post(service, "cpam_595", "/api/exports/1/envoi", json={"date": "2026-11-23"}).status_code == 404
    # a state-changing call without the CSRF header: 403, nothing done
    assert service.as_(DEP).post("/api/exports", json={"cpam": "599"}).status_code == 403
    assert service.count("service_exports") == 1


def test_the_weeks_deposits_name_the_missing_centres_and_the_silent_ones(service, tmp_path: Path):
    deposit(service, "centre_a", workbook(tmp_path / "lille.xlsx", LILLE, n=2))
    assert service.upload("centre_b", workbook(tmp_path / "cambrai.xlsx", CAMBRAI, n=2, error=True)).status_code == 201
    week = service.as_(DEP).get("/api/depots", params={"du": "2026-11-23", "au": "2026-11-29"}).json()
    by = {c["finess_geographique"]: c for c in week["centres"]}
    assert set(by) == {c.finess_geographique for c in REF.centres}  # every centre of centres.yaml
    assert by[LILLE]["deposited"] and [d["lines"] for d in by[LILLE]["deposits"]] == [2]
    assert not by[CAMBRAI]["deposited"] and not by[CAMBRAI]["silent"]  # sent a file with errors today: not silent
    silent = {c.nom for c in REF.centres} - {REF.centre_by_finess[LILLE].nom, REF.centre_by_finess[CAMBRAI].nom}
    assert set(week["silent"]) == silent and REF.centre_by_finess[CAMBRAI].nom in week["missing"]
    # the default span is this week; the week before has no deposit
    assert service.as_(DEP).get("/api/depots").json()["du"] == "2026-11-23"
    before = service.as_(DEP).get("/api/depots", params={"du": "2026-11-16"}).json()
    assert before["au"] == "2026-11-22" and len(before["missing"]) == len(REF.centres)
    bad = service.as_(DEP).get("/api/depots", params={"du": "2026-11-30", "au": "2026-11-01"})
    assert bad.status_code == 422 and "période vide" in bad.json()["detail"]
    page = service.as_(DEP).get("/departement", params={"du": "2026-11-23"}).text
    assert "Rien reçu depuis 7 jours" in page and "manquant" in page and "aucun dépôt" in page
    with clock.fixed(TODAY + dt.timedelta(days=8)):  # eight days later, nothing new: everyone is silent
        later = service.login(DEP)[0].get("/api/depots").json()
    assert len(later["silent"]) == len(REF.centres)


def test_the_export_is_the_commands_on_the_same_files(service, tmp_path: Path):
    files = three_centres(service, tmp_path / "envois")
    made = post(service, DEP, "/api/exports", json={"cpam": "595"})
    assert made.status_code == 201, made.text
    manifest = made.json()["manifest"]
    # the command on the same two files, with a ledger of its own
    out = tmp_path / "export-cli"
    cli_run("export", files["centre_a"], files["centre_c"], "--out", out, "--db", tmp_path / "cli.sqlite",
            "--key-file", tmp_path / "cli.key")
    expected = json.loads(next(out.glob("595-*/manifest.json")).read_text(encoding="utf-8"))

    def comparable(m: dict) -> dict:
        return {**m, "created": None, "ledger": None, "files": [{**f, "sha256": None} for f in m["files"]],
                "other_files": sorted(f["name"] for f in m["other_files"])}

    assert comparable(manifest) == comparable(expected)
    assert [f["number"] for f in manifest["files"]] == [f"HPV-595-{ROUBAIX}-20261123-1", f"HPV-595-{LILLE}-20261123-1"]
    assert manifest["total"]["lines"] == 4
    # the zip holds the folder the command writes, file for file
    archive = service.as_(DEP).get("/api/exports/1.zip")
    assert archive.headers["content-type"] == "application/zip"
    names = sorted(zipfile.ZipFile(io.BytesIO(archive.content)).namelist())
    assert names == sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()
                           and p.name != ".bordereau-export")
    recap = service.as_(DEP).get("/api/exports/1/fichiers/recapitulatif-595.pdf")
    assert recap.status_code == 200 and recap.content.startswith(b"%PDF")
    assert service.as_(DEP).get("/api/exports/1/fichiers/..%2Fmanifest.json").status_code == 404
    # the uploads are exported, the ledger holds their lines once; nothing is left to export for 595
    states = {i["finess_geographique"]: (i["state"], i.get("bordereau"))
              for i in service.as_(DEP).get("/api/bordereaux").json()}
    assert states[LILLE] == ("exporté", f"HPV-595-{LILLE}-20261123-1") and states[CAMBRAI] == ("déposé", None)
    assert service.count("billed_lines") == 4
    again = post(service, DEP, "/api/exports", json={"cpam": "595"})
    assert again.status_code == 409 and "aucun bordereau déposé" in again.json()["detail"]
    unknown = post(service, DEP, "/api/exports", json={"cpam": "999"})
    assert unknown.status_code == 422
    listed = service.as_(DEP).get("/api/exports").json()
    assert [(e["id"], e["cpam"], e["lines"], e["state"]) for e in listed] == [(1, "595", 4, "exporté")]
    assert listed[0]["to_sign"][0] == "recapitulatif-595.pdf" and len(listed[0]["to_sign"]) == 3


def test_an_export_refused_by_the_check_exports_nothing(service, tmp_path: Path):
    """A deposited bordereau whose doses were billed meanwhile (by the command, on the same ledger): 409 with the
    findings, as `export` refuses; nothing recorded, the upload stays deposited."""
    lille = workbook(tmp_path / "lille.xlsx", LILLE, n=2)
    deposit(service, "centre_a", lille)
    cli_run("export", lille, "--out", tmp_path / "avant", "--db", service.db, "--key-file", service.key)
    refused = post(service, DEP, "/api/exports", json={"cpam": "595"})
    assert refused.status_code == 409
    assert {f["code"] for f in refused.json()["findings"]} == {"ALREADY_BILLED"}
    assert service.count("service_exports") == 0 and service.count("billed_lines") == 2
    assert service.as_(DEP).get("/api/bordereaux").json()[0]["state"] == "déposé"


def test_the_services_record_of_an_export_and_the_ledgers_are_kept_together_or_not_at_all(service, tmp_path: Path,
                                                                                          monkeypatch):
    """The service's export (zip, uploads exported) is written in the transaction that completes the ledger's: when
    it fails (a dying worker, a full disk), the ledger's export is undone too, and a later export goes through."""
    from bordereau.ledger import dispatch

    deposit(service, "centre_a", workbook(tmp_path / "lille.xlsx", LILLE, n=2))
    real = dispatch.record

    def fails(connection, *args, **kwargs):
        real(connection, *args, **kwargs)  # written, then the transaction breaks before its commit
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(dispatch, "record", fails)
    with pytest.raises(OSError):
        service.as_(DEP).post("/api/exports", json={"cpam": "595"}, headers={"X-CSRF-Token": service.csrf[DEP]})
    assert service.count("service_exports") == 0 and service.count("billed_lines") == 0
    assert service.count("exports") == 0 and service.count("bordereaux") == 0
    assert service.as_(DEP).get("/api/bordereaux").json()[0]["state"] == "déposé"
    monkeypatch.setattr(dispatch, "record", real)
    made = post(service, DEP, "/api/exports", json={"cpam": "595"})
    assert made.status_code == 201, made.text
    assert service.count("billed_lines") == 2 and service.count("service_exports") == 1
    assert made.json()["manifest"]["files"][0]["number"].endswith("-2")  # a number is never given twice


def test_exports_of_one_cpam_at_once_never_share_a_line_or_a_number(service, tmp_path: Path):
    three_centres(service, tmp_path / "envois")
    for k in range(4):  # four sessions of the Département, each in its own thread
        service.clients[f"d{k}"], service.csrf[f"d{k}"] = service.login(DEP)
    answers: list = [None] * 4
    start = threading.Barrier(4)

    def run(k: int) -> None:
        start.wait()
        answers[k] = service.clients[f"d{k}"].post("/api/exports", json={"cpam": "595"},
                                                   headers={"X-CSRF-Token": service.csrf[f"d{k}"]})

    threads = [threading.Thread(target=run, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(a.status_code for a in answers)
    assert codes == [201, 409, 409, 409], [a.text for a in answers]
    done = next(a.json() for a in answers if a.status_code == 201)
    assert [f["lines"] for f in done["manifest"]["files"]] == [1, 3]
    with service.ledger.engine.connect() as connection:
        numbers = connection.exec_driver_sql("SELECT number FROM bordereaux ORDER BY number").scalars().all()
        lines = connection.exec_driver_sql("SELECT count(*), count(DISTINCT dose_key) FROM billed_lines").one()
        exports = connection.exec_driver_sql("SELECT count(*) FROM exports").scalar_one()
    assert numbers == [f"HPV-595-{ROUBAIX}-20261123-1", f"HPV-595-{LILLE}-20261123-1"]
    assert tuple(lines) == (4, 4) and exports == 1
    assert service.count("exported_uploads") == 2


def rejection_statement(path: Path, number: str, line: int) -> Path:
    path.write_text(f"N° de bordereau;N° de ligne;Code;Motif\n{number};{line};R12;Droits non ouverts\n",
                    encoding="utf-8")
    return path


def test_the_weekly_cycle_gives_the_commands_answers_and_cents(service, tmp_path: Path):
    """Three centres deposit, the Département exports for two CPAM, marks them sent, imports a payment statement
    and a rejection statement; the follow-up equals `status --json` of a ledger fed the same files by the CLI."""
    files = three_centres(service, tmp_path / "envois")
    first = post(service, DEP, "/api/exports", json={"cpam": "595"}).json()
    second = post(service, DEP, "/api/exports", json={"cpam": "599"}).json()
    for made in (first, second):
        assert post(service, DEP, f"/api/exports/{made['id']}/envoi", json={"date": "2026-11-23"}).json()["state"] \
            == "envoyé"
    lille, roubaix = first["manifest"]["files"][1], first["manifest"]["files"][0]
    cambrai = second["manifest"]["files"][0]
    half = f"{float(lille['total']) / 2:.2f}".replace(".", ",")
    statement = tmp_path / "releve.csv"
    statement.write_text("Date;Payeur;Montant;Libellé\n"
                         f"23/11/2026;CPAM 599;{cambrai['total'].replace('.', ',')};VIR HPV OCTOBRE\n"
                         f"23/11/2026;CPAM 595;{half};VIR {lille['number']}\n"
                         "23/11/2026;MAIRIE;12,00;SUBVENTION\n", encoding="utf-8")
    paid = post(service, DEP, "/api/paiements", files={"releve": ("releve.csv", statement.read_bytes())})
    rejected = post(service, DEP, "/api/rejets", files={"etat": ("rejets.csv", rejection_statement(
        tmp_path / "rejets.csv", roubaix["number"], 1).read_bytes())})
    follow = service.as_(DEP).get("/api/suivi").json()
    listed = service.as_(DEP).get("/api/bordereaux").json()
    assert paid.status_code == 200 and rejected.status_code == 200, (paid.text, rejected.text)
    assert [r["bordereau"] for r in rejected.json()["applied"]] == [roubaix["number"]]
    # the CLI on its own ledger, same files, same days
    db, key = tmp_path / "cli.sqlite", tmp_path / "cli.key"
    cli_run("export", *files.values(), "--out", tmp_path / "export-cli", "--db", db, "--key-file", key)
    cli_run("sent", lille["number"], roubaix["number"], cambrai["number"], "--on", "2026-11-23", "--db", db,
            "--key-file", key)
    expected_paid = json.loads(runner.invoke(cli, ["reconcile", str(statement), "--json", "--db", str(db),
                                                   "--key-file", str(key), "--today", TODAY.isoformat()]).stdout)
    runner.invoke(cli, ["reject", str(tmp_path / "rejets.csv"), "--db", str(db), "--key-file", str(key), "--today",
                        TODAY.isoformat()], catch_exceptions=False)
    expected = json.loads(runner.invoke(cli, ["status", "--json", "--db", str(db), "--key-file", str(key),
                                              "--today", TODAY.isoformat()]).stdout)
    assert follow == expected
    assert paid.json() == expected_paid  # reconcile --json, payment for payment, cent for cent
    assert [u["label"] for u in expected_paid["unmatched"]] == ["SUBVENTION"]
    states = {b["bordereau"]: b["state"] for b in follow["bordereaux"]}
    assert states == {cambrai["number"]: "payé", lille["number"]: "partiel", roubaix["number"]: "rejeté"}
    assert {i["finess_geographique"]: i["state"] for i in listed} == {CAMBRAI: "payé", LILLE: "partiel",
                                                                      ROUBAIX: "rejeté"}
    # every action is in the audit log, with its bordereaux
    log = service.as_(DEP).get("/api/journal").json()
    actions = [e["action"] for e in log]
    assert {"export", "sent", "payment", "rejection"} <= set(actions)
    rejection = next(e for e in log if e["action"] == "rejection")
    assert rejection["login"] == DEP and roubaix["number"] in rejection["detail"]
    assert service.as_(DEP).get("/api/journal", params={"action": "sent"}).json()[0]["detail"].startswith("export 2")
    page = service.as_(DEP).get("/suivi").text
    assert "<svg" in page and "SUBVENTION" in page and "Paiements non rapprochés" in page


def test_the_pages_export_mark_sent_and_import_with_their_csrf_token(service, tmp_path: Path):
    three_centres(service, tmp_path / "envois")
    client, csrf = service.login(DEP)
    assert client.post("/departement/exports", data={"cpam": "595"}).status_code == 403
    done = client.post("/departement/exports", data={"cpam": "595", "csrf": csrf})
    assert done.status_code == 200 and "Export 1 fait pour la CPAM 595" in done.text
    assert "/api/exports/1.zip" in done.text and "/api/exports/1/fichiers/recapitulatif-595.pdf" in done.text
    nothing = client.post("/departement/exports", data={"cpam": "595", "csrf": csrf})
    assert nothing.status_code == 409 and "aucun bordereau déposé" in nothing.text
    future = client.post("/departement/exports/1/envoi", data={"date": "2026-12-25", "csrf": csrf})
    assert future.status_code == 422 and "dans le futur" in future.text
    sent = client.post("/departement/exports/1/envoi", data={"date": "23/11/2026", "csrf": csrf})
    assert sent.status_code == 303 and "envoyé le 23/11/2026" in client.get("/departement").text
    broken = client.post("/suivi/paiements", data={"csrf": csrf},
                         files={"releve": ("releve.csv", b"rien;de;lisible\n")})
    assert broken.status_code == 422 and "aucun tableau de paiements reconnu" in broken.text
    assert "releve.csv" in broken.text and "/tmp" not in broken.text  # the file's name, never where it was staged
    journal = client.get("/journal", params={"action": "export"}).text
    assert "HPV-595-590780102-20261123-1" in journal and "connexion" in journal  # the filter's choices
    with service.ledger.engine.connect() as connection:
        downloads = connection.execute(sa.text("SELECT count(*) FROM audit_log WHERE action = 'download'")).scalar()
    client.get("/api/exports/1.zip")
    with service.ledger.engine.connect() as connection:
        after = connection.execute(sa.text("SELECT count(*) FROM audit_log WHERE action = 'download'")).scalar()
    assert after == downloads + 1


def test_every_action_of_the_journal_has_a_french_name(service):
    """The journal page showed « user_add », « user_password », « statement »...: the names the code logs."""
    import re

    from bordereau.web.departement_pages import ACTIONS

    root = Path(__file__).resolve().parent.parent / "bordereau"
    logged = {m for p in root.rglob("*.py")
              for m in re.findall(r"\blog(?:_event)?\([^,()]+, [^,]+, \"([a-z_]+)\"", p.read_text(encoding="utf-8"))}
    assert {"login", "user_add", "statement", "purge"} <= logged  # the search finds them
    assert sorted(logged - set(ACTIONS)) == []
    page = service.as_(DEP).get("/journal").text  # the service's accounts were made with `users add`
    assert "<td>compte créé</td>" in page and "<td>user_add</td>" not in page
