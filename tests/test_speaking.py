"""Speaking to people who are not programmers: French usage errors, help without type names, dates as typed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli

ROOT = Path(__file__).resolve().parent.parent
LILLE = ROOT / "examples" / "sps-lille-2026-10.xlsx"
runner = CliRunner()
COMMANDS = ("check", "totals", "export", "audit", "sent", "reconcile", "reject", "status", "purge", "init", "sample")


def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    """The installed program's entry point, in this process."""
    monkeypatch.setattr(sys, "argv", ["bordereau", *args])
    with pytest.raises(SystemExit) as stop:
        cli.main()
    captured = capsys.readouterr()
    return stop.value.code, captured.out, captured.err


@pytest.mark.parametrize(("args", "said"), [
    (["check"], "argument FICHIERS manquant"),
    (["check", str(LILLE), "--nope"], "option inconnue : --nope"),
    (["sent", "HPV-1", "--on", "2026-13-01"], "valeur invalide pour --on : « 2026-13-01 » n'est pas une date "
                                               "(JJ/MM/AAAA ou AAAA-MM-JJ)"),
    (["sent", "HPV-1"], "option --on manquante"),
    (["export", str(LILLE), "--out"], "l'option --out attend une valeur"),
    (["sample", "a.xlsx", "--lines", "abc"], "valeur invalide pour --lines : un nombre entier est attendu"),
    (["envoyer"], "commande inconnue : envoyer"),
    (["status", "en-trop"], "argument(s) en trop : en-trop"),
])
def test_usage_errors_are_one_french_line(args, said, monkeypatch, capsys):
    code, out, err = run_main(monkeypatch, capsys, *args)
    assert code == 2 and out == ""
    assert err.startswith(f"Erreur d'utilisation : {said}") and "(voir bordereau" in err
    assert len(err.strip().splitlines()) == 1
    for english in ("Missing", "No such", "does not match", "Invalid", "Got unexpected", "requires"):
        assert english not in err


def _every_command(command, path=()):
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from _every_command(sub, (*path, name))


EVERY_COMMAND = list(_every_command(cli.command()))


def test_every_command_is_walked():
    assert {(name,) for name in COMMANDS} <= set(EVERY_COMMAND)
    assert {("serve",), ("users", "add"), ("users", "password"), ("tarifs", "importer")} <= set(EVERY_COMMAND)


@pytest.mark.parametrize("path", EVERY_COMMAND, ids=lambda path: " ".join(path) or "bordereau")
def test_help_shows_no_type_names_and_speaks_french(path, monkeypatch, capsys):
    """Every command at any depth (users add, tarifs importer were left in English: « Show this message and exit. »,
    <str>, <bool>, list[str])."""
    monkeypatch.setenv("COLUMNS", "100")
    code, out, _ = run_main(monkeypatch, capsys, *path, "--help")
    assert code == 0
    for technical in ("<", "list[", "%Y", "Show this message", "[required]"):
        assert technical not in out, (path, technical)
    assert "Affiche cette aide." in out


def test_every_option_that_takes_a_value_says_what_value():
    for path in EVERY_COMMAND:
        command = cli.command()
        for name in path:
            command = command.commands[name]
        for param in command.params:
            if param.param_type_name == "option" and not param.is_flag and not param.hidden:
                assert param.metavar, (path, param.opts)


def test_tarifs_date_accepts_iso_too():
    french = runner.invoke(cli.app, ["tarifs", "--date", "03/10/2026"])
    iso = runner.invoke(cli.app, ["tarifs", "--date", "2026-10-03"])
    assert french.exit_code == iso.exit_code == 0 and french.output == iso.output


def test_dates_are_accepted_as_jj_mm_aaaa_and_iso(tmp_path: Path):
    french = runner.invoke(cli.app, ["check", str(LILLE), "--today", "23/11/2026", "--json"])
    iso = runner.invoke(cli.app, ["check", str(LILLE), "--today", "2026-11-23", "--json"])
    assert french.exit_code == iso.exit_code == 0 and french.stdout == iso.stdout
    runner.invoke(cli.app, ["export", str(LILLE), "--out", str(tmp_path / "e"), "--today", "23/11/2026"])
    for day in ("01/11/2026", "2026-11-01"):
        preview = runner.invoke(cli.app, ["purge", "--before", day, "--dry-run"])
        assert preview.exit_code == 0 and "avant le 01/11/2026" in preview.stdout
        assert "53 ligne(s) de 1 bordereau(x)" in preview.stdout or "bordereau(x)" in preview.stdout


DUNKERQUE = ROOT / "examples" / "sps-dunkerque-2026-10-erreurs.xlsx"


def test_every_code_has_a_sentence_to_correct_it_listed_in_the_docs():
    from bordereau.findings import CODES
    from bordereau.fixes import FIXES

    assert set(CODES) <= set(FIXES)
    codes_page = (ROOT / "docs" / "codes.md").read_text(encoding="utf-8")
    centre = (ROOT / "docs" / "centre.md").read_text(encoding="utf-8")
    for code, sentence in FIXES.items():
        assert sentence.endswith(".") and len(sentence) > 20, code
        assert f"### {code}\n" in codes_page and sentence in codes_page, code
        # the centre's guide lists every code a centre can meet; the audit's own codes are in the CPAM's guide
        assert f"| [`{code}`](codes.md#{code.lower()}) |" in centre or code in (
            "CENTRE_NOT_ATTACHED", "FILE_MODIFIED", "REFERENCE_DIFFERS", "BORDEREAU_SEEN_BEFORE"), code


def test_findings_name_the_pupil_and_say_what_to_do(tmp_path: Path):
    report = tmp_path / "rapport.html"
    result = runner.invoke(cli.app, ["check", str(DUNKERQUE), "--today", "2026-11-23", "--report", str(report),
                                     "--annotate", str(tmp_path / "annotes")])
    assert result.exit_code == 1
    assert "│ Bordereau!C8  │ FRANCOIS M.   │ NIR_INVALID" in result.stdout
    page = report.read_text(encoding="utf-8")
    assert "<td>FRANCOIS M.</td>" in page and "Recopiez le NIR (15 caractères, clé comprise)" in page
    import openpyxl

    [copy] = (tmp_path / "annotes").iterdir()
    rows = list(openpyxl.load_workbook(copy)["Anomalies"].iter_rows(values_only=True))
    assert rows[0] == ("Gravité", "Code", "Feuille", "Cellule", "Élève", "Message", "Pour corriger")
    nir = next(r for r in rows if r[1] == "NIR_INVALID")
    assert nir[3:5] == ("C8", "FRANCOIS M.") and nir[6].startswith("Recopiez le NIR")


def test_no_amount_number_or_state_is_cut_at_100_columns(tmp_path: Path, monkeypatch):
    import io
    import json

    from rich.console import Console

    def run(*args: str) -> str:
        screen = io.StringIO()
        monkeypatch.setattr(cli, "out", Console(file=screen, width=100, highlight=False))
        result = runner.invoke(cli.app, [*args, "--today", "2026-11-23"])
        assert result.exit_code == 0, result.output
        text = screen.getvalue().replace("\u202f", " ")
        assert all(len(line) <= 100 for line in text.splitlines()) and "…" not in text
        return text

    def french(amount: str) -> str:  # "3352.80" -> "3 352,80"
        units, cents = amount.split(".")
        return f"{int(units):,}".replace(",", " ") + "," + cents

    shown = run("export", str(ROOT / "examples"), "--out", str(tmp_path / "e"), "--skip-invalid")
    assert "3 352,80 EUR" in shown and "2 287,91 EUR" in shown and "12 ligne(s) en erreur" in shown
    status = json.loads(runner.invoke(cli.app, ["status", "--json", "--today", "2026-11-23"]).stdout)
    shown = run("status")
    for b in status["bordereaux"]:
        row = next(line for line in shown.splitlines() if b["bordereau"] in line)
        assert french(b["billed"]) in row and french(b["outstanding"]) in row and b["state"] in row
    number = next(b["bordereau"] for b in status["bordereaux"] if b["cpam"] == "594")
    detail = run("status", "--bordereau", number)
    assert detail.count("facturée") == 39 and "40,24" in detail
    audit = run("audit", str(tmp_path / "e" / "594-flandres"), "--cpam", "594", "--no-ledger")
    row = next(line for line in audit.splitlines() if number in line)
    assert row.count("2 287,91") == 3  # claimed, recomputed, accepted


def test_a_progress_bar_only_on_a_terminal_and_never_with_json(monkeypatch):
    import io

    from rich.console import Console

    def run(*args: str, terminal: bool) -> tuple[str, str]:
        screen, errors = io.StringIO(), io.StringIO()
        monkeypatch.setattr(cli, "out", Console(file=screen, force_terminal=terminal, width=120))
        monkeypatch.setattr(cli, "err", Console(file=errors, force_terminal=terminal, width=120))
        result = runner.invoke(cli.app, [*args, "--today", "2026-11-23"])
        assert result.exit_code == 0, result.output
        return screen.getvalue() + result.stdout, errors.getvalue()

    _, errors = run("check", str(LILLE), terminal=True)
    assert "Lecture de sps-lille-2026-10.xlsx" in errors or "Contrôle des lignes" in errors
    shown, errors = run("check", str(LILLE), "--json", terminal=True)
    assert errors == "" and shown.lstrip().startswith("{")
    _, errors = run("check", str(LILLE), terminal=False)  # a pipe, a file
    assert errors == ""


def test_a_list_shown_whole_is_not_called_its_first_items():
    """« Anomalies (17 premières sur 17) » read oddly: a list shown whole says its size only."""
    errors = ROOT / "examples" / "sps-dunkerque-2026-10-erreurs.xlsx"
    result = runner.invoke(cli.app, ["check", str(errors), "--today", "2026-11-23"])
    said = " ".join(result.output.split())
    assert "Anomalies (17)" in said and "premières sur" not in said


@pytest.mark.parametrize("width", [100, 120])
def test_the_lines_of_a_bordereau_show_whole_codes_and_coverage_in_words(tmp_path: Path, monkeypatch, width):
    """`status --bordereau` at 120 columns cut the CIP code in two and showed the internal « droit_commun »."""
    import io
    import json

    from rich.console import Console

    runner.invoke(cli.app, ["export", str(LILLE), "--out", str(tmp_path / "e"), "--today", "2026-11-23"])
    status = json.loads(runner.invoke(cli.app, ["status", "--json", "--today", "2026-11-23"]).stdout)
    screen = io.StringIO()
    monkeypatch.setattr(cli, "out", Console(file=screen, width=width, highlight=False))
    result = runner.invoke(cli.app, ["status", "--bordereau", status["bordereaux"][0]["bordereau"]])
    assert result.exit_code == 0, result.output
    shown = screen.getvalue()
    assert all(len(line) <= width for line in shown.splitlines())
    assert shown.count("3400930056202") > 40 and "droit_commun" not in shown
    if width == 120:  # « droit » and « commun » on two lines of a cell, each whole
        assert shown.count(" droit ") == shown.count(" commun ") > 40


def test_totals_name_their_groups_in_words():
    """« Répartition par cpam » and rows « droit_commun droit commun », « ald ALD »: internal keys shown to readers."""
    by_cpam = runner.invoke(cli.app, ["totals", str(LILLE), "--today", "2026-11-23"]).output
    assert "Répartition par CPAM" in by_cpam
    by_coverage = runner.invoke(cli.app, ["totals", str(ROOT / "examples"), "--by", "prise_en_charge",
                                          "--today", "2026-11-23"]).output
    assert "Répartition par prise en charge" in by_coverage
    for internal in ("droit_commun", "sans_droits", "ald ALD", "c2s C2S"):
        assert internal not in by_coverage
    assert "droit commun" in by_coverage and "sans droits" in by_coverage
