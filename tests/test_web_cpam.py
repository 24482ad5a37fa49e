"""The CPAM agent's side of the service: its caisse's exports only, their download, the audit of received files or of
an export (the answer is `audit --json`'s, to the cent, its history in the ledger), the rejection statement that
`reject` reads, the pages without JavaScript, the audit log; and isolation through every route of the app."""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from conftest import edit_workbook
from service import CAMBRAI, LILLE, TODAY, service, workbook  # noqa: F401 (service: the fixture)
from typer.testing import CliRunner

from bordereau.web.exports import unpack_folder
from cli import app as cli

runner = CliRunner()
FIRST, TOTAL_COLUMN = 10, 15  # exported layout: first line on row 10, « Montant total » in column O
A595, A599 = "cpam_595", "cpam_599"


def cli_run(service, *args: str, cwd: Path | None = None, monkeypatch=None):
    if cwd is not None:
        monkeypatch.chdir(cwd)
    return runner.invoke(cli, [*args, "--db", service.db, "--key-file", str(service.key), "--today",
                               TODAY.isoformat()], catch_exceptions=False)


@pytest.fixture
def export(service, tmp_path: Path) -> Path:
    """The Département's exports through the service of a bordereau of Lille (CPAM 595, 6 lines) and one of Cambrai
    (CPAM 599, 4 lines), deposited by their centres; each CPAM's folder unpacked under the returned folder, as the
    agent finds it in the zip."""
    source, petra = tmp_path / "recus", tmp_path / "petra"
    source.mkdir()
    for role, path in (("centre_a", workbook(source / "lille.xlsx", LILLE, n=6)),
                       ("centre_b", workbook(source / "cambrai.xlsx", CAMBRAI, n=4, first=10))):
        upload = service.upload(role, path).json()["id"]
        done = service.as_(role).post(f"/api/bordereaux/{upload}/depot", headers={"X-CSRF-Token": service.csrf[role]})
        assert done.status_code == 200, done.text
    for cpam in ("595", "599"):
        made = service.as_("departement").post("/api/exports", json={"cpam": cpam},
                                               headers={"X-CSRF-Token": service.csrf["departement"]})
        assert made.status_code == 201, made.text
        [row] = [e for e in service.as_("departement").get("/api/exports").json() if e["cpam"] == cpam]
        archive = service.as_("departement").get(f"/api/exports/{row['id']}.zip").content
        unpack_folder(archive, row["folder"], petra)
    return petra


def folder_of(root: Path, cpam: str) -> Path:
    [found] = root.glob(f"{cpam}-*")
    return found


def forged(root: Path, target: Path) -> Path:
    """A copy of Lille's exported bordereau whose first line claims one cent less (AMOUNT_MISMATCH: rejected)."""
    [source] = folder_of(root, "595").glob("HPV-*.xlsx")
    copy = Path(shutil.copy(source, target / source.name))

    def more(ws):
        ws.cell(FIRST, TOTAL_COLUMN, float(Decimal(str(ws.cell(FIRST, TOTAL_COLUMN).value)) - Decimal("0.01")))

    return edit_workbook(copy, more)


def post_audit(service, role: str, files: list[Path] = (), export: int | None = None):
    client = service.as_(role)
    parts = [("fichiers", (p.name, p.read_bytes())) for p in files]
    data = {"export": str(export)} if export is not None else {}
    return client.post("/api/audits", files=parts or None, data=data,
                       headers={"X-CSRF-Token": service.csrf.get(role, "")})


def test_an_agent_sees_and_downloads_its_caisses_exports_only(service, export: Path):
    [mine] = service.as_(A595).get("/api/exports").json()
    manifest = json.loads((folder_of(export, "595") / "manifest.json").read_text(encoding="utf-8"))
    assert (mine["cpam"], mine["lines"], mine["total"]) == ("595", 6, manifest["total"]["total"])
    assert mine["bordereaux"] == [manifest["files"][0]["number"]]
    [theirs] = service.as_(A599).get("/api/exports").json()
    assert theirs["cpam"] == "599" and theirs["id"] != mine["id"]
    everything = service.as_("departement").get("/api/exports").json()
    assert sorted(e["cpam"] for e in everything) == ["595", "599"]

    answer = service.as_(A595).get(f"/api/exports/{mine['id']}.zip")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    folder = folder_of(export, "595")
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        names = sorted(archive.namelist())  # the caisse's folder only: no FIR statement, no lines to correct
        assert names == sorted(f"{folder.name}/{p.name}" for p in folder.iterdir())
        for name in names:
            assert archive.read(name) == (export / name).read_bytes()
    whole = service.as_("departement").get(f"/api/exports/{mine['id']}.zip").content
    assert len(zipfile.ZipFile(io.BytesIO(whole)).namelist()) > len(names)
    assert service.as_(A599).get(f"/api/exports/{mine['id']}.zip").status_code == 404
    assert service.as_("centre_a").get("/api/exports").status_code == 404


def audit_cli(service, folder: Path, names: list[str], monkeypatch) -> tuple[int, dict]:
    """What `bordereau audit NAMES --cpam 595 --json` says with the service's ledger, run in `folder`."""
    result = cli_run(service, "audit", *names, "--cpam", "595", "--json", cwd=folder, monkeypatch=monkeypatch)
    return result.exit_code, json.loads(result.stdout)


def test_an_audit_of_files_sent_is_audit_json_to_the_cent(service, export: Path, tmp_path: Path, monkeypatch):
    sent = tmp_path / "envoi"
    sent.mkdir()
    bordereau = forged(export, sent)
    answer = post_audit(service, A595, [bordereau])
    assert answer.status_code == 201, answer.text
    body = answer.json()
    audit_id = int(answer.headers["location"].rsplit("/", 1)[1])
    total = body["total"]
    claimed = Decimal(json.loads((folder_of(export, "595") / "manifest.json").read_text())["total"]["total"])
    assert (total["lines"], total["rejected_lines"], total["accepted_lines"]) == (6, 1, 5)
    assert Decimal(total["claimed"]) == claimed - Decimal("0.01")
    assert Decimal(total["accepted"]) + Decimal(total["rejected"]) == Decimal(total["claimed"])
    [line] = [x for x in body["lines"] if x["verdict"] == "rejeté"]
    assert (line["code"], line["row"]) == ("AMOUNT_MISMATCH", FIRST)
    # the same files audited again by the CLI with the same ledger: the very same answer (the same presentation)
    code, expected = audit_cli(service, sent, [bordereau.name], monkeypatch)
    assert code == 1 and body == expected
    assert service.as_(A595).get(f"/api/audits/{audit_id}").json() == body
    [listed] = service.as_(A595).get("/api/audits").json()
    assert (listed["id"], listed["files"], listed["total"]) == (audit_id, [bordereau.name], total)
    assert service.count("audits") == 2 and service.count("service_audits") == 1  # the ledger's history, as the CLI


def test_an_audit_of_an_export_is_audit_json_of_its_folder(service, export: Path, monkeypatch):
    [listed] = service.as_(A595).get("/api/exports").json()
    answer = post_audit(service, A595, export=listed["id"])
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["findings"] == [] and body["total"]["rejected"] == "0.00" and body["total"]["lines"] == 6
    assert body["total"]["accepted"] == listed["total"]
    folder = folder_of(export, "595")
    code, expected = audit_cli(service, export, [folder.name], monkeypatch)
    assert code == 0 and body == expected
    assert post_audit(service, A599, export=9999).status_code == 404


def test_a_second_presentation_is_caught_by_the_ledgers_history(service, export: Path, tmp_path: Path):
    [listed] = service.as_(A595).get("/api/exports").json()
    assert post_audit(service, A595, export=listed["id"]).status_code == 201
    sent = tmp_path / "envoi"
    sent.mkdir()
    again = post_audit(service, A595, [forged(export, sent)]).json()  # the same number, another file
    codes = {f["code"] for f in again["findings"]}
    assert "BORDEREAU_SEEN_BEFORE" in codes, codes


def test_the_rejection_statement_is_the_one_reject_reads(service, export: Path, tmp_path: Path):
    sent = tmp_path / "envoi"
    sent.mkdir()
    answer = post_audit(service, A595, [forged(export, sent)])
    audit_id = int(answer.headers["location"].rsplit("/", 1)[1])
    xlsx = service.as_(A595).get(f"/api/audits/{audit_id}/rejets.xlsx")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
    statement = tmp_path / "rejets.xlsx"
    statement.write_bytes(xlsx.content)
    book = openpyxl.load_workbook(statement)
    assert book.sheetnames == ["Rejets", "Bordereaux"]
    pdf = service.as_(A595).get(f"/api/audits/{audit_id}/rejets.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    result = cli_run(service, "reject", str(statement))
    assert result.exit_code == 0, result.output
    assert "1 ligne(s) rejetée(s) enregistrée(s)" in result.output
    assert service.as_(A599).get(f"/api/audits/{audit_id}/rejets.xlsx").status_code == 404


def test_every_action_is_in_the_audit_log_without_a_nir(service, export: Path, tmp_path: Path):
    from service import pupil

    from bordereau.ledger.journal import events

    [listed] = service.as_(A595).get("/api/exports").json()
    service.as_(A595).get(f"/api/exports/{listed['id']}.zip")
    sent = tmp_path / "envoi"
    sent.mkdir()
    audit_id = int(post_audit(service, A595, [forged(export, sent)]).headers["location"].rsplit("/", 1)[1])
    service.as_(A595).get(f"/api/audits/{audit_id}/rejets.xlsx")
    service.as_(A595).get(f"/api/audits/{audit_id}/rejets.pdf")
    mine = [e for e in events(service.ledger) if e["login"] == A595]
    actions = [e["action"] for e in reversed(mine)]
    assert actions == ["login", "download", "audit", "statement", "statement"]
    audit = next(e for e in mine if e["action"] == "audit")
    assert f"audit {audit_id} (CPAM 595" in audit["detail"] and "1 rejetée(s)" in audit["detail"]
    text = " ".join(e["detail"] for e in events(service.ledger))
    for n in range(6):
        assert pupil(n)["nir"] not in text


def test_the_agents_pages_work_without_javascript(service, export: Path, tmp_path: Path):
    client, csrf = service.login(A595)
    home = client.get("/cpam")
    assert home.status_code == 200
    forms = re.findall(r'<form method="post" action="([^"]+)"[^>]*>\s*<input type="hidden" name="csrf" value="([^"]*)"',
                       home.text)
    assert {action for action, _ in forms} == {"/deconnexion", "/cpam/audits"}
    assert all(token == csrf for _, token in forms)
    [listed] = client.get("/api/exports").json()
    assert f'href="/api/exports/{listed["id"]}.zip"' in home.text and "599" not in listed["folder"]
    refused = client.post("/cpam/audits", data={"export": str(listed["id"])})
    assert refused.status_code == 403
    sent = tmp_path / "envoi"
    sent.mkdir()
    bordereau = forged(export, sent)
    done = client.post("/cpam/audits", data={"csrf": csrf},
                       files=[("fichiers", (bordereau.name, bordereau.read_bytes()))])
    assert done.status_code == 303 and done.headers["location"].startswith("/cpam/audits/")
    page = client.get(done.headers["location"])
    answer = client.get("/api/audits/" + done.headers["location"].rsplit("/", 1)[1]).json()
    from bordereau.money import format_eur

    total = answer["total"]
    assert page.status_code == 200 and "Des lignes ou des bordereaux sont refusés" in page.text
    for amount in ("accepted", "claimed", "rejected"):
        assert format_eur(Decimal(total[amount])) in page.text
    assert "AMOUNT_MISMATCH" in page.text and "rejets.xlsx" in page.text
    again = client.get("/cpam")
    assert f'href="{done.headers["location"]}"' in again.text
    nothing = client.post("/cpam/audits", data={"csrf": csrf})
    assert nothing.status_code == 422 and "Choisissez les classeurs reçus" in nothing.text


@pytest.mark.parametrize("kind", ["texte", "bombe", "xfd", "vide"])
def test_a_hostile_file_gets_audit_jsons_answer_and_the_service_goes_on(service, export: Path, tmp_path: Path,
                                                                          monkeypatch, kind: str):
    from service import far_cell, zip_bomb

    sent = tmp_path / "envoi"
    sent.mkdir()
    def written(content: bytes):
        def write(path: Path) -> Path:
            path.write_bytes(content)
            return path
        return write

    path = {"texte": written(b"ceci n'est pas un classeur\n" * 100), "bombe": zip_bomb, "xfd": far_cell,
            "vide": written(b"")}[kind](sent / f"{kind}.xlsx")
    answer = post_audit(service, A595, [path])
    assert answer.status_code == 201, answer.text
    assert [f["code"] for f in answer.json()["unread"]] == ["FILE_UNREADABLE"]
    code, expected = audit_cli(service, sent, [path.name], monkeypatch)
    assert code == 1 and answer.json() == expected
    [listed] = service.as_(A595).get("/api/exports").json()
    assert post_audit(service, A595, export=listed["id"]).status_code == 201


def test_a_child_that_dies_during_an_audit_is_a_422_and_nothing_is_kept(service, export: Path, tmp_path: Path,
                                                                          monkeypatch):
    import concurrent.futures as cf

    def dies(*_args):
        raise cf.process.BrokenProcessPool("a child was killed")

    monkeypatch.setattr(service.app.state.checker, "_run", dies)
    before = (service.count("audits"), service.count("service_audits"))
    answer = post_audit(service, A595, [workbook(tmp_path / "lille.xlsx", LILLE)])
    assert answer.status_code == 422
    assert "le lecteur de classeurs a échoué" in answer.json()["detail"]
    assert "Rien n'a été enregistré" in answer.json()["detail"]
    assert (service.count("audits"), service.count("service_audits")) == before


def test_purge_removes_an_audits_answer_and_statement_and_keeps_its_totals(service, export: Path, tmp_path: Path):
    sent = tmp_path / "envoi"
    sent.mkdir()
    answer = post_audit(service, A595, [forged(export, sent)])
    audit_id = int(answer.headers["location"].rsplit("/", 1)[1])
    result = cli_run(service, "purge", "--before", "2026-11-24", "--force", "--yes")
    assert result.exit_code == 0, result.output
    client = service.as_(A595)
    for suffix in ("", "/rejets.xlsx", "/rejets.pdf", "/rapport.html"):
        assert client.get(f"/api/audits/{audit_id}{suffix}").status_code == 404, suffix
    [listed] = client.get("/api/audits").json()
    assert listed["purged"] and listed["total"] == answer.json()["total"]
    page = client.get(f"/cpam/audits/{audit_id}")
    assert page.status_code == 200 and "ont été purgées" in page.text and "(2 14" not in page.text
