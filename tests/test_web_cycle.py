"""The weekly cycle end to end through the API alone: three centres deposit, the Département exports for CPAM 595
and 599, the CPAM 595 agent audits a copy of its export whose Haubourdin line is dated outside the bordereau's period
(rejected, for its whole amount) and takes the rejection statement its audit produced, the Département imports that
statement and a bank statement; the follow-up is `status --json` of a ledger fed the same files by the CLI, cent for
cent, and each bordereau's state is the one its payments and rejections make: payé, partiel, rejeté."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from decimal import Decimal
from pathlib import Path

from conftest import edit_workbook
from service import CAMBRAI, LILLE, service  # noqa: F401 (service: the fixture)
from service import ROUBAIX as HAUBOURDIN
from test_web_departement import cli_run, post, three_centres

from bordereau.web.exports import unpack_folder

DEP, AGENT = "departement", "cpam_595"
FIRST, DATE_COLUMN = 10, 10  # exported layout: first line on row 10, « Date d'administration » in column J


def forge_date(path: Path, target: Path) -> Path:
    """A copy of an exported bordereau of October whose first line says the dose was given on 5 November: that line
    is rejected (DATE_OUTSIDE_PERIOD) for the whole of its amount, which is the ledger's."""
    copy = Path(shutil.copy(path, target / path.name))
    return edit_workbook(copy, lambda ws: ws.cell(FIRST, DATE_COLUMN, dt.datetime(2026, 11, 5)))


def bank_statement(path: Path, lille: dict, cambrai: dict) -> Path:
    """CPAM 599 pays Cambrai in full (its label names no number), CPAM 595 pays half of Lille, and a grant no
    bordereau explains."""
    half = (Decimal(lille["total"]) / 2).quantize(Decimal("0.01"))
    path.write_text("Date;Payeur;Montant;Libellé\n"
                    f"23/11/2026;CPAM 599;{cambrai['total'].replace('.', ',')};VIR HPV OCTOBRE\n"
                    f"23/11/2026;CPAM 595;{str(half).replace('.', ',')};VIR {lille['number']}\n"
                    "23/11/2026;MAIRIE;12,00;SUBVENTION\n", encoding="utf-8")
    return path


def test_the_weekly_cycle_through_the_api_alone(service, tmp_path: Path):
    files = three_centres(service, tmp_path / "envois")
    first = post(service, DEP, "/api/exports", json={"cpam": "595"})
    second = post(service, DEP, "/api/exports", json={"cpam": "599"})
    assert (first.status_code, second.status_code) == (201, 201), (first.text, second.text)
    first, second = first.json(), second.json()
    haubourdin, lille = first["manifest"]["files"]
    [cambrai] = second["manifest"]["files"]
    assert (haubourdin["lines"], lille["lines"], cambrai["lines"]) == (1, 3, 2)

    # the agent of CPAM 595 sees its export only, takes its zip and audits a forged copy of Haubourdin's bordereau
    [listed] = service.as_(AGENT).get("/api/exports").json()
    assert listed["id"] == first["id"]
    archive = service.as_(AGENT).get(f"/api/exports/{listed['id']}.zip")
    assert archive.status_code == 200
    petra = tmp_path / "petra"
    unpack_folder(archive.content, listed["folder"], petra)
    [exported] = (petra / listed["folder"]).glob(f"HPV-595-{HAUBOURDIN}-*.xlsx")
    sent = tmp_path / "recu-par-la-cpam"
    sent.mkdir()
    audited = post(service, AGENT, "/api/audits",
                   files=[("fichiers", (exported.name, forge_date(exported, sent).read_bytes()))])
    assert audited.status_code == 201, audited.text
    total = audited.json()["total"]
    assert (total["lines"], total["rejected_lines"], total["accepted_lines"]) == (1, 1, 0)
    [line] = audited.json()["lines"]
    assert (line["verdict"], line["code"]) == ("rejeté", "DATE_OUTSIDE_PERIOD")
    assert Decimal(total["rejected"]) == Decimal(haubourdin["total"]) and total["accepted"] == "0.00"
    audit_id = int(audited.headers["location"].rsplit("/", 1)[1])
    statement = service.as_(AGENT).get(f"/api/audits/{audit_id}/rejets.xlsx")
    assert statement.status_code == 200 and statement.content[:2] == b"PK"
    rejections = tmp_path / "rejets-595.xlsx"
    rejections.write_bytes(statement.content)

    # the Département marks both exports sent, imports the agent's rejection statement and the bank statement
    for made in (first, second):
        assert post(service, DEP, f"/api/exports/{made['id']}/envoi", json={"date": "2026-11-23"}).status_code == 200
    rejected = post(service, DEP, "/api/rejets", files={"etat": (rejections.name, rejections.read_bytes())})
    assert rejected.status_code == 200, rejected.text
    assert [(r["bordereau"], r["line"], r["code"], r["amount"]) for r in rejected.json()["applied"]] == [
        (haubourdin["number"], 1, "DATE_OUTSIDE_PERIOD", haubourdin["total"])]
    bank = bank_statement(tmp_path / "releve.csv", lille, cambrai)
    paid = post(service, DEP, "/api/paiements", files={"releve": (bank.name, bank.read_bytes())})
    assert paid.status_code == 200, paid.text
    follow = service.as_(DEP).get("/api/suivi").json()

    # the CLI on a ledger of its own, the same files, the same rejection statement, the same bank statement
    db, key = tmp_path / "cli.sqlite", tmp_path / "cli.key"
    cli_run("export", *files.values(), "--out", tmp_path / "export-cli", "--db", db, "--key-file", key)
    cli_run("sent", lille["number"], haubourdin["number"], cambrai["number"], "--on", "2026-11-23", "--db", db,
            "--key-file", key)
    cli_run("reject", rejections, "--db", db, "--key-file", key)
    expected_paid = json.loads(cli_run("reconcile", bank, "--json", "--db", db, "--key-file", key, code=None).stdout)
    expected = json.loads(cli_run("status", "--json", "--db", db, "--key-file", key, code=None).stdout)
    assert follow == expected
    assert paid.json() == expected_paid

    by = {b["bordereau"]: b for b in follow["bordereaux"]}
    assert {n: b["state"] for n, b in by.items()} == {cambrai["number"]: "payé", lille["number"]: "partiel",
                                                      haubourdin["number"]: "rejeté"}
    half = (Decimal(lille["total"]) / 2).quantize(Decimal("0.01"))
    assert Decimal(by[cambrai["number"]]["paid"]) == Decimal(cambrai["total"])
    assert Decimal(by[lille["number"]]["paid"]) == half
    assert Decimal(by[haubourdin["number"]]["paid"]) == 0
    listed = service.as_(DEP).get("/api/bordereaux").json()
    assert {i["finess_geographique"]: i["state"] for i in listed} == {CAMBRAI: "payé", LILLE: "partiel",
                                                                      HAUBOURDIN: "rejeté"}
    log = service.as_(DEP).get("/api/journal").json()
    assert {"deposit", "export", "download", "audit", "sent", "rejection", "payment"} <= {e["action"] for e in log}
