"""The command line through typer's CliRunner: exit codes, the JSON contract, reports and annotated copies."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from cli import app

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
TODAY = ["--today", "2026-11-23"]
FULL_NIR = re.compile(r"(?<![\d*])[12378]\s?\d{2}\s?\d{2}\s?(\d{2}|2A|2B)\s?\d{3}\s?\d{3}\s?\d{2}(?!\d)")
runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [*map(str, args)], catch_exceptions=False)


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    shutil.copytree(EXAMPLES, folder)
    return folder


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_clean_workbook_exits_0(examples: Path):
    result = invoke("check", examples / "sps-lille-2026-10.xlsx", *TODAY)
    assert result.exit_code == 0, result.output
    assert "Aucune anomalie" in result.output
    assert "60 lignes, 0 erreur" in result.output


def test_errors_exit_1_and_json_follows_the_contract(examples: Path):
    result = invoke("check", examples, "--json", *TODAY)
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert set(doc) == {"files", "findings"}
    assert [Path(f["path"]).name for f in doc["files"]] == [
        "sps-cambrai-2026-10.xlsx", "sps-dunkerque-2026-10-erreurs.xlsx", "sps-lille-2026-10.xlsx"]
    dunkerque = doc["files"][1]
    assert set(dunkerque) == {"path", "sheet", "centre", "finess_geographique", "cpam", "lines", "errors", "warnings"}
    assert dunkerque | {"path": None} == {
        "path": None, "sheet": "Bordereau", "centre": "SPS de Dunkerque", "finess_geographique": "590780045",
        "cpam": "594", "lines": 52, "errors": 13, "warnings": 4}
    first = doc["findings"][0]
    assert set(first) == {"path", "sheet", "row", "cell", "column", "code", "severity", "message"}
    assert first["code"] == "NIR_INVALID" and first["cell"] == "C8" and first["row"] == 8
    assert first["message"].startswith("NIR 2 14 07 59 *** *** ** : clé du NIR incorrecte (attendue ")
    assert not FULL_NIR.search(result.stdout)


def test_missing_path_is_exit_2_without_traceback(tmp_path: Path):
    result = runner.invoke(app, ["check", str(tmp_path / "absent.xlsx")])
    assert result.exit_code == 2
    assert "introuvable" in result.stderr and "Traceback" not in result.output


def test_bad_reference_data_is_exit_2_naming_file_and_key(tmp_path: Path, examples: Path):
    ref = tmp_path / "ref"
    shutil.copytree(ROOT / "tarifs", ref / "tarifs")
    text = (ROOT / "centres.yaml").read_text(encoding="utf-8").replace('cpam: "595"', 'cpam: "598"', 1)
    (ref / "centres.yaml").write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["check", str(examples), "--ref", str(ref)])
    assert result.exit_code == 2
    assert "centres.yaml : centres[7].cpam : CPAM « 598 » absente" in result.stderr


def test_unreadable_file_is_a_finding_and_others_are_still_checked(examples: Path):
    (examples / "notes.xlsx").write_text("ceci n'est pas un classeur", encoding="utf-8")
    result = invoke("check", examples, "--json", *TODAY)
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    unreadable = [f for f in doc["findings"] if f["code"] == "FILE_UNREADABLE"]
    assert len(unreadable) == 1 and unreadable[0]["row"] is None and unreadable[0]["cell"] is None
    assert sum(f["lines"] for f in doc["files"]) == 152


def test_report_is_self_contained_and_has_no_nir(examples: Path, tmp_path: Path):
    report = tmp_path / "out" / "rapport.html"
    result = invoke("check", examples, "--report", report, *TODAY)
    assert result.exit_code == 1
    html = report.read_text(encoding="utf-8")
    assert "<html lang=\"fr\">" in html and "Bordereau!" not in html
    assert "DOSE_INTERVAL_TOO_SHORT" in html and "SPS de Dunkerque" in html
    assert not re.search(r"(src|href)=\"https?:", html)
    assert not FULL_NIR.search(html)


def test_annotated_copy_marks_cells_and_never_touches_the_input(examples: Path, tmp_path: Path):
    source = examples / "sps-dunkerque-2026-10-erreurs.xlsx"
    before = sha(source)
    out = tmp_path / "annotes"
    result = invoke("check", source, "--annotate", out, *TODAY)
    assert result.exit_code == 1
    assert sha(source) == before
    book = openpyxl.load_workbook(out / "sps-dunkerque-2026-10-erreurs-anomalies.xlsx")
    assert book.sheetnames[0] == "Anomalies"
    listing = book["Anomalies"]
    assert listing.max_row == 1 + 17
    assert listing["D2"].hyperlink.location == "Bordereau!C8" or "Bordereau" in listing["D2"].hyperlink.target
    sheet = book["Bordereau"]
    assert sheet["C8"].fill.fgColor.rgb.endswith("FF8080")  # error: red
    assert "NIR_INVALID" in sheet["C8"].comment.text
    assert sheet["D26"].fill.fgColor.rgb.endswith("FFC000")  # warning: orange
    assert sheet["A9"].comment is None


def test_annotate_refuses_to_write_over_an_input(examples: Path):
    source = examples / "sps-lille-2026-10.xlsx"
    target = examples / "sps-lille-2026-10-anomalies.xlsx"
    shutil.copy(source, target)
    before = sha(target)
    result = runner.invoke(app, ["check", str(target), "--annotate", str(examples), *TODAY])
    # the copy of this input is named ...-anomalies-anomalies.xlsx: nothing overwritten
    assert result.exit_code == 0
    assert sha(target) == before


def test_sample_refuses_to_overwrite(tmp_path: Path):
    target = tmp_path / "a.xlsx"
    assert invoke("sample", target, "--lines", 5).exit_code == 0
    again = runner.invoke(app, ["sample", str(target)])
    assert again.exit_code == 2 and "existe déjà" in again.stderr


@pytest.mark.parametrize(("args", "said"), [
    (["e.xlsx", "--erreurs", "--lines", "5"], "--erreurs : 5 lignes ne suffisent pas"),  # was IndexError
    (["e.csv"], "e.csv : le bordereau d'exemple est un classeur, son nom finit par .xlsx"),  # an xlsx named .csv
    (["e.xlsx", "--du", "31/10/2026", "--au", "01/10/2026"], "période du 31/10/2026 au 01/10/2026 : --du vient "
                                                              "après --au"),
])
def test_sample_refuses_what_it_cannot_make(tmp_path: Path, monkeypatch, args, said):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["sample", *args])
    assert result.exit_code == 2 and result.stderr.startswith(f"Erreur : {said}"), result.output
    assert list(tmp_path.iterdir()) == []


def test_readme_transcripts_are_the_real_output():
    """Every `$ bordereau ...` block of the README shows what the command prints (run here on the README's date)."""
    import os
    import shlex

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```\n\$ bordereau (.*?)\n(.*?)```", readme, flags=re.S)
    assert len(blocks) >= 1
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        for command, shown in blocks:
            result = runner.invoke(app, [*shlex.split(command), *TODAY], catch_exceptions=False)
            printed = [line.rstrip() for line in result.stdout.rstrip().splitlines()]
            assert printed == shown.rstrip().splitlines(), command
    finally:
        os.chdir(cwd)


def test_readme_commands_match_ci():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ".venv/bin/python -m pytest" in readme
    runs = [line for line in ci.splitlines() if line.endswith(".venv/bin/python -m pytest")]
    # the README's command as it is, then the same with the machine's clock moved (tests/conftest.py)
    assert runs[0] == ".venv/bin/python -m pytest"
    assert re.fullmatch(r"BORDEREAU_TEST_MOVE_CLOCK=\d{4}-\d\d-\d\dT[\d:]+ \.venv/bin/python -m pytest", runs[1])
    assert ci.strip().splitlines()[-1] == runs[1]


def test_a_folder_without_workbooks_is_exit_2(tmp_path: Path):
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 2 and "aucun classeur" in result.stderr


def test_an_output_that_cannot_be_written_is_one_line_exit_2(examples: Path, tmp_path: Path):
    result = runner.invoke(app, ["check", str(examples / "sps-lille-2026-10.xlsx"), "--report", str(tmp_path)])
    assert result.exit_code == 2 and "Erreur :" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_cell_text_is_never_read_as_terminal_markup(tmp_path: Path):
    import openpyxl

    source = tmp_path / "[red]x.xlsx"
    shutil.copy(EXAMPLES / "sps-lille-2026-10.xlsx", source)
    book = openpyxl.load_workbook(source)
    book.active["F8"] = "[/mutuelle]"
    book.save(source)
    result = runner.invoke(app, ["check", str(source), *TODAY])
    assert result.exit_code == 1, result.output
    assert "[/mutuelle]" in result.stdout and "[red]x.xlsx" in result.stdout


def test_files_of_the_same_name_get_distinct_annotated_copies(tmp_path: Path):
    for folder in ("lundi", "mardi"):
        (tmp_path / folder).mkdir()
        shutil.copy(EXAMPLES / "sps-dunkerque-2026-10-erreurs.xlsx", tmp_path / folder / "bordereau.xlsx")
    out = tmp_path / "annotes"
    invoke("check", tmp_path / "lundi", tmp_path / "mardi", "--annotate", out, *TODAY)
    assert sorted(p.name for p in out.iterdir()) == ["bordereau-lundi-anomalies.xlsx", "bordereau-mardi-anomalies.xlsx"]
    again = invoke("check", out, *TODAY)  # a folder of the tool's own outputs holds no input
    assert again.exit_code == 2


def test_a_stray_cell_far_away_is_unreadable_not_a_crash(examples: Path, tmp_path: Path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active["A1"], book.active["XFD1"], book.active["A200000"] = "x", "y", "z"
    book.save(tmp_path / "loin.xlsx")
    result = invoke("check", tmp_path / "loin.xlsx", examples / "sps-lille-2026-10.xlsx", "--json", *TODAY)
    assert result.exit_code == 1
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["code"] == "FILE_UNREADABLE" and "A1:XFD200000" in finding["message"]


def test_usage_errors_are_one_line_exit_2():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "from cli import main; main()", "check", "--nope"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("Erreur d'utilisation :") and len(done.stderr.strip().splitlines()) == 1


def test_tarifs_prints_what_is_in_force_that_day():
    result = runner.invoke(app, ["tarifs", "--date", "08/10/2023"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "Tarifs en vigueur le 08/10/2023" in text and "Barème du 01/09/2023" in text
    assert "3400936873971, 3687397" in text and "01/11/2023 seulement" in text  # REPEVAX: both boxes
    assert "59 : 98,50 EUR (exemple)" in text and "HPV en ALD" in text and "Lecture de l'article 5" in text
    assert re.search(r"│ HPV +│ +65 / 65 % │ +65 / 65 % │ +65 / 100 % │", result.stdout)
    before = runner.invoke(app, ["tarifs", "--date", "31/08/2023"])
    assert before.exit_code == 0 and "Aucun barème de taux en vigueur le 31/08/2023" in before.stdout
    wrong = runner.invoke(app, ["tarifs", "--date", "08-10-2023"])  # AAAA-MM-JJ is taken, as by every other date
    assert wrong.exit_code == 2 and "JJ/MM/AAAA" in wrong.stderr
