"""`bordereau tarifs importer`: prices from BDPM files that the test writes (several snapshots, a new presentation, a
price cut, a latin-1 accent); history is never removed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from stdnum import ean
from typer.testing import CliRunner

from bordereau.reference.data import load_reference
from cli import app

runner = CliRunner()
NEW_CIP13 = "340093999999" + ean.calc_check_digit("340093999999")  # a new box of GARDASIL 9 (CIS 65017887)


def official(cis: str, cip7: str, cip13: str, label: str, ttc: str) -> str:
    """A line of the official CIS_CIP_bdpm.txt (13 columns)."""
    return "\t".join([cis, cip7, label, "Présentation active", "Déclaration de commercialisation", "01/01/2020",
                      cip13, "oui", "65%", "", ttc, "1,02", ""])


def short(cis: str, cip7: str, cip13: str, ttc: str) -> str:
    """A line with the reference .tsv's columns, without snapshot and source."""
    return "\t".join([cis, cip7, cip13, "oui", "65%", "", ttc, "1,02"])


def invoke(*args, code: int = 0):
    result = runner.invoke(app, [*map(str, args)])
    assert result.exit_code == code, result.output
    return result


def test_import_records_new_prices_and_presentations_and_keeps_history(ref_copy: Path, tmp_path: Path):
    first = tmp_path / "CIS_CIP_bdpm-2026-12.txt"
    first.write_text("\n".join([
        short("67619892", "3687374", "3400936873742", "22,71"),  # REPEVAX: unchanged
        short("69241562", "2225393", "3400922253930", "38,10"),  # NIMENRIX: a price cut
        short("99999999", "1234567", "3400930000014", "10,00"),  # not a vaccine of the tarifs: ignored
    ]) + "\n", encoding="utf-8")
    dry = invoke("tarifs", "importer", first, "--dry-run", "--ref", ref_copy, "--today", "2026-12-01")
    assert "1 changement(s)" in dry.stdout and "NIMENRIX (3400922253930) : prix public 40.24 EUR -> 38.10 EUR" in \
        " ".join(dry.stdout.split()) and "rien n'a été écrit" in dry.stdout
    assert not (ref_copy / "tarifs" / "prix_bdpm.yaml").exists()
    # --today before the subcommand dates the import just as well
    early = invoke("tarifs", "--today", "2026-12-01", "importer", first, "--dry-run", "--ref", ref_copy)
    assert "au 01/12/2026" in " ".join(early.stdout.split())
    invoke("tarifs", "importer", first, "--ref", ref_copy, "--today", "2026-12-01")
    # a later snapshot, official layout, in latin-1 with an accent: a new presentation of GARDASIL 9
    second = tmp_path / "CIS_CIP_bdpm-2027-01.txt"
    second.write_bytes(("\n".join([
        official("65017887", NEW_CIP13[5:12], NEW_CIP13, "1 seringue pré-remplie en verre", "116,86"),
        official("69241562", "2225393", "3400922253930", "boîte de 1", "38,10"),  # unchanged since the cut
    ]) + "\n").encode("latin-1"))
    result = invoke("tarifs", "importer", second, "--ref", ref_copy, "--today", "2027-01-04")
    assert "(windows-1252)" in result.stdout and "GARDASIL 9 : nouvelle présentation" in result.stdout
    ref = load_reference(ref_copy)
    nimenrix = ref.presentation_by_code["3400922253930"].public_price
    assert nimenrix.at(dt.date(2026, 11, 30)).value == Decimal("40.24")  # history kept
    cut = nimenrix.at(dt.date(2026, 12, 1))
    assert cut.value == Decimal("38.10") and "CIS_CIP_bdpm-2026-12.txt importé le 01/12/2026" in cut.source
    assert ref.vaccine_by_code[NEW_CIP13].nom == ref.vaccine_by_code[NEW_CIP13[5:12]].nom == "GARDASIL 9"
    assert ref.presentation_by_code[NEW_CIP13].public_price.at(dt.date(2027, 1, 4)).value == Decimal("116.86")
    again = invoke("tarifs", "importer", second, "--ref", ref_copy, "--today", "2027-01-05")
    assert "0 changement(s)" in " ".join(again.stdout.split())  # nothing new: nothing written, nothing removed
    after = load_reference(ref_copy)
    assert len(after.presentation_by_code["3400922253930"].public_price.entries) == 6  # five from vaccins.yaml + 1
    assert after.presentation_by_code[NEW_CIP13] == ref.presentation_by_code[NEW_CIP13]


def test_a_missing_file_is_one_line_exit_2(tmp_path: Path):
    result = invoke("tarifs", "importer", tmp_path / "absent.txt", code=2)
    assert "absent.txt" in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("name", "said"), [
    ("absent.txt", "fichier ou dossier introuvable"),  # was « No such file or directory »
    ("dossier", "c'est un dossier"),  # was « Is a directory »
    ("notes.txt", "aucune ligne de la BDPM reconnue"),  # was « 0 changement(s) », as if prices were current
])
def test_what_is_not_a_bdpm_file_is_said_in_french(ref_copy: Path, tmp_path: Path, name, said):
    (tmp_path / "dossier").mkdir()
    (tmp_path / "notes.txt").write_text("Prix à vérifier\tGardasil\n", encoding="utf-8")
    result = invoke("tarifs", "importer", tmp_path / name, "--ref", ref_copy, "--today", "2026-12-01", code=2)
    assert result.stderr.startswith(f"Erreur : {tmp_path / name} : {said}")
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_copy_shipped_inside_the_package_is_never_written(ref_copy: Path, tmp_path: Path, monkeypatch):
    import bordereau.reference.bdpm

    shipped = tmp_path / "_data"
    ref_copy.rename(shipped)
    monkeypatch.setattr(bordereau.reference.bdpm, "shipped_dir", lambda: shipped)
    cut = tmp_path / "CIS_CIP_bdpm.txt"
    cut.write_text(short("69241562", "2225393", "3400922253930", "38,10") + "\n", encoding="utf-8")
    result = invoke("tarifs", "importer", cut, "--ref", shipped, "--today", "2026-12-01", code=2)
    assert "bordereau init" in result.stderr and not (shipped / "tarifs" / "prix_bdpm.yaml").exists()
