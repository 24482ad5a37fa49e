"""The ledger, on SQLite and (when BORDEREAU_TEST_PG gives a server) PostgreSQL: exports recorded once, never a
dose billed twice, crashes that leave all or nothing, deposits, payments, rejections, status and purge."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
import python_calamine
import sqlalchemy as sa
from conftest import GARDASIL, LILLE, pupil
from typer.testing import CliRunner

from bordereau.ledger import open_ledger
from bordereau.ledger.metadata import metadata
from bordereau.ledger.schema import MIGRATIONS, billed_lines, bordereaux, exports, schema_version
from bordereau.rejections import COLUMNS as REJECT_COLUMNS
from bordereau.samples import dose_line, write_bordereau
from cli import app

ROOT = Path(__file__).resolve().parent.parent
FULL_NIR = re.compile(r"(?<![\d*])[12378]\d{4}(\d{2}|2A|2B)\d{8}(?!\d)")
runner = CliRunner()
PG = os.environ.get("BORDEREAU_TEST_PG")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not PG, reason="BORDEREAU_TEST_PG not set (.ci/run starts a PostgreSQL server and sets it)"))])
def db(request, tmp_path: Path, monkeypatch) -> str:
    """The ledger URL for this test, empty; also the default of every command."""
    if request.param == "sqlite":
        url = str(tmp_path / "ledger.sqlite")
    else:
        url = PG
        engine = sa.create_engine(PG.replace("postgresql://", "postgresql+psycopg://"))
        with engine.begin() as connection:
            metadata.drop_all(connection)
            schema_version.drop(connection, checkfirst=True)
        engine.dispose()
    monkeypatch.setenv("BORDEREAU_DB", url)
    return url


def invoke(*args, code: int | None = 0, input: str | None = None):
    dated = args[0] in ("check", "export", "status", "reject", "totals") and "--today" not in args
    result = runner.invoke(app, [*map(str, args), "--today", "2026-11-23"] if dated else [*map(str, args)],
                           catch_exceptions=False, input=input)
    if code is not None:
        assert result.exit_code == code, result.output
    return result


def workbook(ref, path: Path, doses: list[tuple[int, dt.date, int]], start=dt.date(2025, 9, 1),
             end=dt.date(2026, 11, 20)) -> Path:
    """A Lille bordereau: (pupil number, day, dose rank) per line; pupil n is always the same child."""
    centre = ref.centre_by_finess[LILLE]
    lines = [dose_line(ref, centre, pupil(n, dt.date(2013, 3, 12)), GARDASIL, day, rank) for n, day, rank in doses]
    return write_bordereau(path, centre, start, end, lines)


def rows(url: str, table: sa.Table) -> list:
    engine = sa.create_engine(url if "://" in url else f"sqlite:///{url}")
    with engine.connect() as connection:
        result = connection.execute(sa.select(table)).mappings().all()
    engine.dispose()
    return result


def test_export_records_every_line_and_refuses_to_bill_twice(db, ref, tmp_path: Path):
    path = workbook(ref, tmp_path / "octobre.xlsx", [(0, dt.date(2026, 10, 5), 1), (1, dt.date(2026, 10, 5), 1)])
    invoke("export", path, "--out", tmp_path / "e1")
    [b] = rows(db, bordereaux)
    assert b["number"] == "HPV-595-590780102-20261123-1" and b["lines"] == 2 and b["total"] == 2 * 6403
    assert len(b["sha256"]) == 64
    lines = rows(db, billed_lines)
    assert [(line["line_no"], line["state"]) for line in lines] == [(1, "billed"), (2, "billed")]
    assert all(len(line["dose_key"]) == 64 and len(line["beneficiary_key"]) == 64 for line in lines)
    assert [e["state"] for e in rows(db, exports)] == ["done"]
    again = invoke("export", path, "--out", tmp_path / "e2", code=1)
    assert "ALREADY_BILLED" in again.stdout and "bordereau HPV-595-590780102-20261123-1, ligne 1" in again.stdout
    assert not (tmp_path / "e2").exists()
    checked = json.loads(invoke("check", path, "--json", code=1).stdout)
    assert {f["code"] for f in checked["findings"]} == {"ALREADY_BILLED"}


def test_same_day_exports_get_consecutive_numbers(db, ref, tmp_path: Path):
    invoke("export", workbook(ref, tmp_path / "a.xlsx", [(0, dt.date(2026, 10, 5), 1)]), "--out", tmp_path / "e1")
    invoke("export", workbook(ref, tmp_path / "b.xlsx", [(1, dt.date(2026, 10, 6), 1)]), "--out", tmp_path / "e2")
    assert sorted(b["number"][-2:] for b in rows(db, bordereaux)) == ["-1", "-2"]
    assert (tmp_path / "e2" / "595-lille-douai" / "HPV-595-590780102-20261123-2.xlsx").exists()


def test_dose_intervals_and_counts_use_the_ledger_history(db, ref, tmp_path: Path):
    invoke("export", workbook(ref, tmp_path / "d1.xlsx", [(0, dt.date(2025, 10, 6), 1), (1, dt.date(2025, 10, 6), 1)]),
           "--out", tmp_path / "e1")
    early = workbook(ref, tmp_path / "early.xlsx", [(0, dt.date(2026, 1, 12), 2)])
    doc = json.loads(invoke("check", early, "--json").stdout)  # a warning: the schedule does not block billing
    [finding] = doc["findings"]
    assert (finding["code"], finding["severity"]) == ("DOSE_INTERVAL_TOO_SHORT", "warning")
    assert "la dose du 06/10/2025 (bordereau HPV-595-590780102-20261123-1, ligne 1)" in finding["message"]
    in_time = workbook(ref, tmp_path / "april.xlsx", [(0, dt.date(2026, 4, 13), 2), (1, dt.date(2026, 4, 13), 2)])
    assert json.loads(invoke("check", in_time, "--json").stdout)["findings"] == []
    invoke("export", in_time, "--out", tmp_path / "e2")
    third = workbook(ref, tmp_path / "third.xlsx", [(1, dt.date(2026, 10, 19), 3)])
    doc = json.loads(invoke("check", third, "--json").stdout)
    assert [(f["code"], f["severity"]) for f in doc["findings"]] == [("TOO_MANY_DOSES", "warning")]


def test_check_without_a_ledger_knows_nothing_of_it(db, ref, tmp_path: Path, monkeypatch):
    path = workbook(ref, tmp_path / "a.xlsx", [(0, dt.date(2026, 10, 5), 1)])
    invoke("export", path, "--out", tmp_path / "e1")
    monkeypatch.delenv("BORDEREAU_DB")
    assert json.loads(invoke("check", path, "--json").stdout)["findings"] == []


def test_lines_without_rights_go_to_the_fir_statement_once(db, ref, tmp_path: Path):
    centre = ref.centre_by_finess[LILLE]
    child = pupil(3, dt.date(2013, 3, 12), coverage="sans_droits", regime=None, nir=False)
    lines = [dose_line(ref, centre, child, GARDASIL, dt.date(2026, 10, 5), 1),
             dose_line(ref, centre, pupil(4, dt.date(2013, 3, 12)), GARDASIL, dt.date(2026, 10, 5), 1)]
    path = write_bordereau(tmp_path / "a.xlsx", centre, dt.date(2026, 10, 1), dt.date(2026, 10, 31), lines)
    invoke("export", path, "--out", tmp_path / "e1")
    again = invoke("export", path, "--out", tmp_path / "e2", "--skip-invalid", code=1)
    assert "Dose déjà facturée : état FIR de l'export du 23/11/2026" in json.dumps(
        json.loads(invoke("check", path, "--json", code=1).stdout), ensure_ascii=False)
    assert "2 ligne(s) déjà facturée(s) non exportée(s)" in again.stdout
    assert not (tmp_path / "e2" / "FIR-departement").exists()


def test_skip_invalid_lists_already_billed_lines_apart_from_the_lines_to_correct(db, ref, tmp_path: Path):
    first = workbook(ref, tmp_path / "a.xlsx", [(0, dt.date(2026, 10, 5), 1)])
    invoke("export", first, "--out", tmp_path / "e1")
    both = workbook(ref, tmp_path / "b.xlsx", [(0, dt.date(2026, 10, 5), 1), (1, dt.date(2026, 10, 6), 1)])
    result = invoke("export", both, "--out", tmp_path / "e2", "--skip-invalid", code=0)
    assert "1 ligne(s) déjà facturée(s) non exportée(s)" in result.stdout and "a-corriger" not in result.stdout
    assert not (tmp_path / "e2" / "a-corriger").exists()
    [header, row] = openpyxl.load_workbook(tmp_path / "e2" / "deja-facturees.xlsx").active.iter_rows(values_only=True)
    assert header[-1] == "Déjà facturée" and row[2] == 8  # the Excel row of the first line
    assert row[5].endswith("*** *** **") and "Dose déjà facturée : bordereau HPV-" in row[-1]
    [(_, number)] = [(b["number"], b["number"]) for b in rows(db, bordereaux) if b["lines"] == 1 and
                     b["number"] in row[-1]]
    assert number


def _cli(*args: str, env: dict | None = None) -> subprocess.Popen:
    code = "import sys\nfrom cli import app\napp(sys.argv[1:], prog_name='bordereau')\n"
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, env={**os.environ, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_exports_at_once_never_share_a_number_nor_a_line(db, ref, tmp_path: Path):
    same = workbook(ref, tmp_path / "same.xlsx", [(n, dt.date(2026, 10, 5), 1) for n in range(30)])
    other = workbook(ref, tmp_path / "other.xlsx", [(n, dt.date(2026, 10, 6), 1) for n in range(40, 70)])
    runs = [_cli("export", str(same), "--out", str(tmp_path / f"s{k}"), "--today", "2026-11-23") for k in range(3)]
    runs += [_cli("export", str(other), "--out", str(tmp_path / "o"), "--today", "2026-11-23")]
    outputs = [p.communicate(timeout=120) for p in runs]
    codes = [p.returncode for p in runs]
    assert codes[3] == 0, outputs[3]
    assert sorted(codes[:3])[0] == 0 and sorted(codes[:3])[1:] != [0, 0]  # one wins, the others are refused:
    for (stdout, stderr), code in zip(outputs[:3], codes[:3], strict=True):
        # checked after the winner recorded its lines (1, ALREADY_BILLED), or while it was recording them (2)
        assert code == 0 or (code == 1 and "ALREADY_BILLED" in stdout) or (
            code == 2 and "vient d'être facturée par un autre export" in stderr), (code, stdout[-500:], stderr)
    lines = rows(db, billed_lines)
    assert len(lines) == 60 and len({line["dose_key"] for line in lines}) == 60
    numbers = [b["number"] for b in rows(db, bordereaux)]
    assert len(numbers) == len(set(numbers)) == 2
    assert sum((tmp_path / f"s{k}").exists() for k in range(3)) == 1


@pytest.mark.parametrize("stage", ["after-reserve", "before-rename", "after-rename"])
def test_a_kill_at_any_stage_leaves_all_or_nothing(db, ref, tmp_path: Path, stage: str):
    path = workbook(ref, tmp_path / "a.xlsx", [(n, dt.date(2026, 10, 5), 1) for n in range(5)])
    out = tmp_path / "export"
    killed = _cli("export", str(path), "--out", str(out), "--today", "2026-11-23",
                  env={"BORDEREAU_TEST_CRASH": stage})
    assert killed.wait(timeout=120) == -9
    open_ledger(db).engine.dispose()  # opening the ledger finishes or undoes the interrupted export
    recorded = rows(db, billed_lines)
    if stage == "after-rename":
        assert out.exists() and len(recorded) == 5 and [e["state"] for e in rows(db, exports)] == ["done"]
        assert all(b["sha256"] for b in rows(db, bordereaux))
    else:
        assert not out.exists() and recorded == [] and rows(db, exports) == []
        invoke("export", path, "--out", out)  # and the lines can be exported again
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".export")] == []


def test_a_kill_at_a_random_moment_leaves_all_or_nothing(db, ref, tmp_path: Path):
    import signal
    import time

    path = workbook(ref, tmp_path / "a.xlsx", [(n, dt.date(2026, 10, 5), 1) for n in range(200)])
    for k, delay in enumerate((0.8, 1.2, 1.6, 2.0, 2.4)):
        out = tmp_path / f"export{k}"
        run = _cli("export", str(path), "--out", str(out), "--today", "2026-11-23")
        time.sleep(delay)
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=60)
        open_ledger(db).engine.dispose()  # the next command that opens the ledger recovers
        lines, exported = rows(db, billed_lines), out.exists()
        assert (len(lines) in (0, 200) and exported == (len(lines) == 200)) or any(
            (tmp_path / f"export{j}").exists() for j in range(k)), (delay, len(lines), exported)
        if lines:
            break


def _deposit_and_pay(db, ref, tmp_path: Path) -> tuple[str, str]:
    a = workbook(ref, tmp_path / "a.xlsx", [(0, dt.date(2026, 9, 7), 1), (1, dt.date(2026, 9, 7), 1)])
    b = workbook(ref, tmp_path / "b.xlsx", [(2, dt.date(2026, 9, 14), 1)])
    invoke("export", a, "--out", tmp_path / "e1", "--today", "2026-09-25")
    invoke("export", b, "--out", tmp_path / "e2", "--today", "2026-09-25")
    first, second = sorted(b["number"] for b in rows(db, bordereaux))
    assert "antérieure à l'export" in invoke("sent", first, "--on", "2026-09-20", code=2).stderr
    invoke("sent", first, second, "--on", "2026-10-01")
    return first, second


def test_reconcile_matches_label_amount_and_sum_and_keeps_the_unmatched(db, ref, tmp_path: Path):
    first, second = _deposit_and_pay(db, ref, tmp_path)  # 128,06 EUR and 64,03 EUR
    statement = tmp_path / "releve.csv"
    with statement.open("w", encoding="utf-8", newline="") as handle:
        w = csv.writer(handle, delimiter=";")
        w.writerow(["Date opération", "Libellé", "Émetteur", "Montant"])
        w.writerow(["02/10/2026", f"VIR CPAM REGLEMENT {first} PARTIEL", "CPAM LILLE DOUAI", "100,00"])
        w.writerow(["05/10/2026", "VIR CPAM HPV", "CPAM DE LILLE-DOUAI 595", "64,03"])
        w.writerow(["06/10/2026", "VIR INCONNU", "MAIRIE DE LILLE", "12,00"])
    result = invoke("reconcile", statement, "--json", code=1)  # 1: a payment is left unmatched
    doc = json.loads(result.stdout)
    assert [p["allocations"] for p in doc["payments"]] == [
        [{"bordereau": first, "amount": "100.00", "rule": "libellé"}],
        [{"bordereau": second, "amount": "64.03", "rule": "montant"}], []]
    assert [u["payer"] for u in doc["unmatched"]] == ["MAIRIE DE LILLE"]
    again = json.loads(invoke("reconcile", statement, "--json", code=1).stdout)
    assert all(p["duplicate"] for p in again["payments"])  # nothing recorded twice
    status = json.loads(invoke("status", "--json").stdout)
    states = {b["bordereau"]: (b["state"], b["outstanding"]) for b in status["bordereaux"]}
    assert states == {first: ("partiel", "28.06"), second: ("payé", "0.00")}


def test_one_payment_for_several_bordereaux_and_overpayment(db, ref, tmp_path: Path):
    first, second = _deposit_and_pay(db, ref, tmp_path)
    statement = tmp_path / "releve.csv"
    statement.write_text("Date;Payeur;Montant;Libellé\n01/10/2026;CPAM 595;192,09;HPV SEPTEMBRE\n"
                         f"03/10/2026;CPAM 595;1,00;{second}\n", encoding="utf-8")
    doc = json.loads(invoke("reconcile", statement, "--json").stdout)
    assert sorted(a["bordereau"] for a in doc["payments"][0]["allocations"]) == [first, second]
    assert {a["rule"] for a in doc["payments"][0]["allocations"]} == {"somme"}
    status = json.loads(invoke("status", "--json").stdout)
    assert {b["bordereau"]: b["state"] for b in status["bordereaux"]} == {first: "payé", second: "trop-perçu"}


def test_late_after_two_months(db, ref, tmp_path: Path):
    _deposit_and_pay(db, ref, tmp_path)
    doc = json.loads(runner.invoke(app, ["status", "--json", "--today", "2026-12-02"]).stdout)
    assert {b["state"] for b in doc["bordereaux"]} == {"en retard"}
    assert doc["bordereaux"][0]["days_since_deposit"] == 62
    doc = json.loads(runner.invoke(app, ["status", "--json", "--today", "2026-12-01"]).stdout)
    assert {b["state"] for b in doc["bordereaux"]} == {"impayé"}


def _statement(path: Path, items: list[tuple]) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Rejets"
    ws.append([header for header, _ in REJECT_COLUMNS.values()])
    for item in items:
        ws.append(list(item))
    book.save(path)
    return path


def test_a_rejected_line_leaves_the_due_and_can_be_billed_again(db, ref, tmp_path: Path):
    path = workbook(ref, tmp_path / "a.xlsx", [(0, dt.date(2026, 10, 5), 1), (1, dt.date(2026, 10, 5), 1)])
    invoke("export", path, "--out", tmp_path / "e1")
    [b] = rows(db, bordereaux)
    statement = _statement(tmp_path / "rejets.xlsx", [
        (b["number"], 2, "2 13 03 59 *** *** **", "NIR_INVALID", "NIR inconnu de nos services", 64.03)])
    assert "1 ligne(s) rejetée(s)" in invoke("reject", statement).stdout
    assert "0 ligne(s) rejetée(s) enregistrée(s), 1 déjà connue(s)" in invoke("reject", statement).stdout
    status = json.loads(invoke("status", "--json").stdout)
    assert status["bordereaux"][0]["rejected"] == "64.03" and status["bordereaux"][0]["outstanding"] == "64.03"
    corrected = workbook(ref, tmp_path / "corrige.xlsx", [(1, dt.date(2026, 10, 5), 1)])
    invoke("export", corrected, "--out", tmp_path / "e2")
    later = next(x for x in rows(db, bordereaux) if x["number"] != b["number"])
    assert later["refers_to"] == b["number"]
    unknown = _statement(tmp_path / "faux.xlsx", [(b["number"], 9, "", "X", "ligne inconnue", 1)])
    assert "Inconnue du registre" in invoke("reject", unknown, code=1).stderr


def test_purge_keeps_amounts_and_hashes(db, ref, tmp_path: Path):
    invoke("export", workbook(ref, tmp_path / "a.xlsx", [(0, dt.date(2026, 10, 5), 1)]), "--out", tmp_path / "e")
    before = rows(db, billed_lines)[0]
    assert before["nom"] and before["nir_masked"].endswith("*** *** **")
    assert "1 ligne(s) purgée(s)" in invoke("purge", "--before", "2026-11-01", "--yes", "--force").stdout
    after = rows(db, billed_lines)[0]
    assert (after["nom"], after["prenom"], after["birth_date"], after["nir_masked"]) == (None, None, None, None)
    assert (after["dose_key"], after["total"]) == (before["dose_key"], before["total"])
    path = workbook(ref, tmp_path / "b.xlsx", [(0, dt.date(2026, 10, 5), 1)])
    assert json.loads(invoke("check", path, "--json", code=1).stdout)["findings"][0]["code"] == "ALREADY_BILLED"
    shown = invoke("status", "--bordereau", before["bordereau"]).stdout
    assert "(purgé)" in shown and "64,03" in shown


def test_purge_shows_what_would_go_asks_and_keeps_open_bordereaux(db, ref, tmp_path: Path):
    first, second = _deposit_and_pay(db, ref, tmp_path)  # 2 lines for 128,06 EUR; 1 line for 64,03 EUR
    statement = tmp_path / "releve.csv"
    statement.write_text(f"Date;Payeur;Montant;Libellé\n05/10/2026;CPAM 595;128,06;{first}\n", encoding="utf-8")
    invoke("reconcile", statement)

    def named() -> dict[str, int]:
        return {n: sum(1 for r in rows(db, billed_lines) if r["bordereau"] == n and r["nom"]) for n in (first, second)}

    preview = invoke("purge", "--before", "2026-11-01", "--dry-run").stdout
    assert "2 ligne(s) de 1 bordereau(x) à purger" in preview
    assert f"{second} : 1 ligne(s), impayé" in preview and "--force pour les purger" in preview
    assert named() == {first: 2, second: 1}
    refused = invoke("purge", "--before", "2026-11-01", input="n\n", code=1)
    assert "Purger 2 ligne(s) ? [o/N]" in refused.output and "Rien n'a été purgé" in refused.stdout
    assert named() == {first: 2, second: 1}
    assert "2 ligne(s) purgée(s)" in invoke("purge", "--before", "2026-11-01", input="oui\n").stdout
    assert named() == {first: 0, second: 1}  # the unpaid bordereau keeps its lines
    assert "1 ligne(s) purgée(s)" in invoke("purge", "--before", "2026-11-01", "--force", "--yes").stdout
    assert named() == {first: 0, second: 0}
    assert "0 ligne(s) de 0 bordereau(x)" in invoke("purge", "--before", "2026-11-01", "--yes").stdout


def test_no_clear_nir_in_the_ledger_nor_the_outputs(db, ref, tmp_path: Path):
    if "://" in db:
        pytest.skip("file scan on SQLite only")
    example = ROOT / "examples" / "sps-lille-2026-10.xlsx"
    invoke("export", example, "--out", tmp_path / "e")
    sheet = python_calamine.CalamineWorkbook.from_path(str(example)).get_sheet_by_index(0).to_python()
    nirs = {str(r[2]) for r in sheet[7:] if len(str(r[2])) == 15}
    assert len(nirs) > 40
    raw = (Path(db).read_bytes() + b"".join(p.read_bytes() for p in Path(db).parent.glob("ledger.sqlite-*")))
    text = raw.decode("latin-1")
    assert [n for n in nirs if n in text or n[:13] in text] == []
    shown = invoke("status").stdout + invoke("status", "--json").stdout
    assert not FULL_NIR.search(shown)


def test_status_page_draws_the_outstanding_per_cpam(db, ref, tmp_path: Path):
    _deposit_and_pay(db, ref, tmp_path)
    page = tmp_path / "suivi.html"
    invoke("status", "--report", page)
    html = page.read_text(encoding="utf-8")
    assert "<svg" in html and "595 CPAM de Lille-Douai" in html and "192,09 EUR" in html
    assert not re.search(r"(src|href)=\"https?:", html)
    bars = re.findall(r'<rect x="[\d.]+" y="\d+" width="([\d.]+)" height="24" fill="([#\w]+)"', html)
    assert len(bars) == 1 and float(bars[0][0]) == 400.0 and bars[0][1] == "#d4a72c"  # 31 to 60 days


def test_status_page_renders_in_a_headless_browser(db, ref, tmp_path: Path):
    import shutil

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        pytest.skip("no chromium on this machine (.ci/run installs it)")
    _deposit_and_pay(db, ref, tmp_path)
    page = tmp_path / "suivi.html"
    invoke("status", "--report", page)
    png = tmp_path / "suivi.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={png}",
                    "--window-size=1000,700", page.as_uri()], check=True, capture_output=True, timeout=120)
    from PIL import Image

    image = Image.open(png).convert("RGB")
    colours = {image.getpixel((x, y)) for x in range(0, 1000, 4) for y in range(0, 700, 4)}
    assert (0xD4, 0xA7, 0x2C) in colours  # the bar of the chart is drawn


def test_migrations_are_versioned_and_idempotent(db, tmp_path: Path):
    first = open_ledger(db)
    again = open_ledger(db)
    assert [r["version"] for r in rows(db, schema_version)] == list(range(1, len(MIGRATIONS) + 1))
    first.engine.dispose()
    again.engine.dispose()
    key = Path(os.environ["BORDEREAU_KEY_FILE"])
    assert key.stat().st_mode & 0o777 == 0o600


def test_a_ledger_of_version_6_gets_the_export_date(db, ref, tmp_path: Path):
    """v8 adds exports.made_on to a ledger made before it; its old exports keep their real date as their date."""
    path = workbook(ref, tmp_path / "a.xlsx", [(0, dt.date(2026, 10, 5), 1)])
    invoke("export", path, "--out", tmp_path / "e1", "--today", "2026-11-20")
    engine = sa.create_engine(db.replace("postgresql://", "postgresql+psycopg://") if "://" in db else f"sqlite:///{db}")
    with engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE exports DROP COLUMN made_on")
        connection.execute(schema_version.delete().where(schema_version.c.version >= 8))  # as before v8
    engine.dispose()
    open_ledger(db).engine.dispose()
    assert [r["made_on"] for r in rows(db, exports)] == [None]
    invoke("export", workbook(ref, tmp_path / "b.xlsx", [(1, dt.date(2026, 10, 6), 1)]), "--out", tmp_path / "e2",
           "--today", "2026-11-21")
    assert [r["made_on"] for r in rows(db, exports)] == [None, dt.date(2026, 11, 21)]


def test_audit_history_in_the_ledger_finds_numbers_and_doses_seen_before(db, ref, tmp_path: Path):
    from bordereau.audit.run import audit_files
    from bordereau.ledger.audits import LedgerAuditHistory

    path = workbook(ref, tmp_path / "a.xlsx", [(0, dt.date(2025, 10, 6), 1), (1, dt.date(2025, 10, 6), 1)])
    invoke("export", path, "--out", tmp_path / "e", "--no-ledger")
    folder = tmp_path / "e" / "595-lille-douai"
    history = LedgerAuditHistory(open_ledger(db))
    first = audit_files([folder], ref, dt.date(2026, 11, 23), "595", history)
    assert first.errors == 0
    assert audit_files([folder], ref, dt.date(2026, 11, 24), "595", history).errors == 0  # same file again
    [sheet] = folder.glob("HPV-*.xlsx")
    book = openpyxl.load_workbook(sheet)
    book.active["C2"] = "renvoyé"
    book.save(sheet)
    again = audit_files([folder], ref, dt.date(2026, 11, 24), "595", history)
    codes = {f.code for f in again.findings}
    assert "BORDEREAU_SEEN_BEFORE" in codes and "DUPLICATE_LINE" in codes
    assert any("audité le 23/11/2026" in f.message for f in again.findings)
    # another centre's bordereau with a dose too soon after one accepted before
    too_soon = workbook(ref, tmp_path / "b.xlsx", [(0, dt.date(2026, 1, 12), 2)])
    later = audit_files([too_soon], ref, dt.date(2026, 11, 25), "595", history)
    assert [f.code for f in later.findings if f.severity == "warning"] == ["DOSE_INTERVAL_TOO_SHORT"]
    assert later.errors == 0 and set(later.lines["verdict"]) == {"accepté avec observation"}
    assert "HPV-595-590780102-20261123-1" in next(f.message for f in later.findings)


def test_audit_command_keeps_its_history_in_the_ledger(db, ref, tmp_path: Path):
    path = workbook(ref, tmp_path / "a.xlsx", [(0, dt.date(2025, 10, 6), 1)])
    invoke("export", path, "--out", tmp_path / "e", "--no-ledger")
    folder = tmp_path / "e" / "595-lille-douai"
    invoke("audit", folder, "--cpam", "595", "--today", "2026-11-23")
    invoke("audit", folder, "--cpam", "595", "--xlsx", tmp_path / "rejets.xlsx", "--today", "2026-11-23")  # again
    [sheet] = folder.glob("HPV-*.xlsx")
    book = openpyxl.load_workbook(sheet)
    book.active["C2"] = "renvoyé"
    book.save(sheet)
    again = invoke("audit", folder, "--cpam", "595", "--json", "--today", "2026-11-24", code=1)
    assert "BORDEREAU_SEEN_BEFORE" in again.stdout and "audité le 23/11/2026" in again.stdout


def test_another_key_is_refused_and_no_key_is_made_for_an_existing_ledger(db, ref, tmp_path: Path, monkeypatch):
    path = workbook(ref, tmp_path / "a.xlsx", [(0, dt.date(2026, 10, 5), 1)])
    invoke("export", path, "--out", tmp_path / "e1")
    monkeypatch.setenv("BORDEREAU_KEY_FILE", str(tmp_path / "absent.key"))
    missing = invoke("export", path, "--out", tmp_path / "e2", code=2)
    assert "clé du registre introuvable" in missing.stderr and not (tmp_path / "absent.key").exists()
    other = tmp_path / "other.key"
    other.write_text("ab" * 32 + "\n", encoding="ascii")
    monkeypatch.setenv("BORDEREAU_KEY_FILE", str(other))
    refused = invoke("export", path, "--out", tmp_path / "e3", code=2)
    assert "n'est pas celle de ce registre" in refused.stderr and len(rows(db, billed_lines)) == 1


def test_a_refusal_beyond_the_line_is_not_applied_and_a_refused_bordereau_is_rejete(db, ref, tmp_path: Path):
    path = workbook(ref, tmp_path / "a.xlsx", [(0, dt.date(2026, 10, 5), 1)])
    invoke("export", path, "--out", tmp_path / "e")
    [b] = rows(db, bordereaux)
    too_much = _statement(tmp_path / "trop.xlsx", [(b["number"], 1, "", "X", "montant faux", 5000)])
    result = invoke("reject", too_much, code=1)
    assert "Non appliqué" in result.stderr and "hors de 0,01 à 64,03 EUR" in result.stderr
    assert rows(db, billed_lines)[0]["state"] == "billed"
    whole = _statement(tmp_path / "tout.xlsx", [(b["number"], 1, "", "NIR_INVALID", "NIR inconnu", 64.03)])
    invoke("reject", whole)
    [state] = json.loads(invoke("status", "--json").stdout)["bordereaux"]
    assert (state["state"], state["outstanding"], state["paid"]) == ("rejeté", "0.00", "0.00")


def test_an_unmatched_payment_is_matched_once_its_bordereau_exists(db, ref, tmp_path: Path):
    statement = tmp_path / "releve.csv"
    statement.write_text("Date;Payeur;Montant;Libellé\n01/10/2026;CPAM 595;64,03;VIR HPV\n", encoding="utf-8")
    doc = json.loads(invoke("reconcile", statement, "--json", code=1).stdout)
    assert [u["amount"] for u in doc["unmatched"]] == ["64.03"]
    invoke("export", workbook(ref, tmp_path / "a.xlsx", [(0, dt.date(2026, 9, 7), 1)]), "--out", tmp_path / "e",
           "--today", "2026-09-25")
    doc = json.loads(invoke("reconcile", statement, "--json").stdout)
    assert doc["unmatched"] == [] and doc["payments"][0]["earlier"] is True
    assert doc["payments"][0]["allocations"][0]["rule"] == "montant"


def test_the_catch_up_schedule_counts_from_the_first_dose_in_the_ledger(db, ref, tmp_path: Path):
    centre = ref.centre_by_finess[LILLE]
    older = pupil(5, dt.date(2011, 3, 12))  # 14 at the first dose, 15 at the second: two doses are the schedule
    first = [dose_line(ref, centre, older, GARDASIL, dt.date(2025, 10, 6), 1)]
    path = write_bordereau(tmp_path / "a.xlsx", centre, dt.date(2025, 10, 1), dt.date(2025, 10, 31), first)
    invoke("export", path, "--out", tmp_path / "e1", "--today", "2025-10-20")
    later = [dose_line(ref, centre, older, GARDASIL, day, n) for day, n in ((dt.date(2026, 4, 13), 2),
                                                                           (dt.date(2026, 10, 19), 3))]
    path = write_bordereau(tmp_path / "b.xlsx", centre, dt.date(2026, 4, 1), dt.date(2026, 10, 31), later)
    doc = json.loads(invoke("check", path, "--json").stdout)
    assert [f["code"] for f in doc["findings"] if f["code"] != "AGE_OUT_OF_RANGE"] == ["TOO_MANY_DOSES"]


def test_a_mistyped_ledger_path_is_refused_not_created(ref, tmp_path: Path):
    path = workbook(ref, tmp_path / "a.xlsx", [(0, dt.date(2026, 10, 5), 1)])
    missing = tmp_path / "registre" / "ledgr.sqlite"
    result = invoke("check", path, "--db", missing, code=2)
    assert "registre introuvable" in result.stderr and not missing.parent.exists()
    assert "registre introuvable" in invoke("status", "--db", missing, code=2).stderr


def test_audit_counts_doses_accepted_before(db, ref, tmp_path: Path):
    from bordereau.audit.run import audit_files
    from bordereau.ledger.audits import LedgerAuditHistory

    history = LedgerAuditHistory(open_ledger(db))
    two = workbook(ref, tmp_path / "a.xlsx", [(0, dt.date(2025, 10, 6), 1), (0, dt.date(2026, 4, 13), 2)])
    assert audit_files([two], ref, dt.date(2026, 11, 23), "595", history).errors == 0
    third = workbook(ref, tmp_path / "b.xlsx", [(0, dt.date(2026, 10, 19), 3)])
    later = audit_files([third], ref, dt.date(2026, 11, 24), "595", history)
    assert [(f.code, f.row) for f in later.findings if f.severity == "warning"] == [("TOO_MANY_DOSES", 8)]
    assert later.errors == 0
    assert "3e dose HPV" in later.findings[0].message
