"""The annotated copy's provenance record, computed while writing (issue 12): the digests the check kept of the
source's sheets, and the digest of « Anomalies » from the small workbook openpyxl wrote, give exactly the record
that reading the written copy back gives, on clean, faulty and odd workbooks (styles, merged cells, formulas, shared
and inline strings, several sheets, a copy of a copy, a comment on a cell far from the values, fuzzed workbooks)."""

from __future__ import annotations

import json
import os
import random
import zipfile
from pathlib import Path

import openpyxl
import pytest
from defusedxml import ElementTree
from fuzzing import cases, write_case
from test_annotate_parts import _rich_workbook

from bordereau.check.run import check_files
from bordereau.findings import Finding
from bordereau.read import provenance
from bordereau.read.workbook import open_sheets
from bordereau.render import annotate as annotate_module
from bordereau.render.annotate import annotate


def _stored(copy: Path) -> str:
    """The record as the copy holds it (the text, not only what it says)."""
    with zipfile.ZipFile(copy) as archive:
        root = ElementTree.fromstring(archive.read("docProps/custom.xml"))
    [value] = [next(iter(p)).text for p in root if p.get("name") == provenance.PROPERTY]
    return value


def _read_back(copy: Path) -> str:
    return provenance.record(open_sheets(copy), json.loads(_stored(copy))["outil"])


def _annotated(source: Path, folder: Path, ref, today, extra: tuple[Finding, ...] = (), monkeypatch=None) -> Path:
    """The copy made as `check --annotate` makes it: the check keeps the digests, the copy records them."""
    used = []
    original = provenance.kept
    monkeypatch.setattr(provenance, "kept", lambda path: used.append(original(path)) or used[-1])
    with provenance.keeping():
        result = check_files([source], ref, today)
        target, _ = annotate(source, [*result.findings, *extra], folder)
    assert used and all(d is not None for d in used)  # the digests were those the check kept
    return target


def _same_record(source: Path, tmp_path: Path, ref, today, monkeypatch, extra=()) -> Path:
    fast = _annotated(source, tmp_path / "fast", ref, today, extra, monkeypatch)
    monkeypatch.undo()
    slow, _ = annotate(source, [*check_files([source], ref, today).findings, *extra], tmp_path / "slow")
    assert _stored(fast) == _read_back(fast) == _stored(slow)
    assert provenance.untouched_copy(fast)
    return fast


def test_a_clean_workbook(tmp_path, book, lines, ref, today, monkeypatch):
    _same_record(book(lines), tmp_path, ref, today, monkeypatch)


@pytest.mark.parametrize("big", [False, True], ids=["shared-strings", "inline-strings"])
def test_a_faulty_workbook(tmp_path, book, lines, ref, today, monkeypatch, big):
    lines[0]["prise_en_charge"] = "Mutuelle"
    lines[1]["prise_en_charge"] = ""
    lines[2]["nir"] = "1234"
    source = book(lines, big=big)
    with zipfile.ZipFile(source) as archive:
        assert ("xl/sharedStrings.xml" in archive.namelist()) is not big
    _same_record(source, tmp_path, ref, today, monkeypatch)


def test_a_rich_workbook_and_a_comment_far_from_the_values(tmp_path, book, lines, ref, today, monkeypatch):
    lines[0]["prise_en_charge"] = "Mutuelle"
    source = _rich_workbook(book(lines))
    far = [Finding(str(source), "Bordereau", 400, "AB400", None, "X", "warning", "loin"),
           Finding(str(source), "Calculs", 3, "C3", None, "Y", "error", "dans une autre feuille"),
           Finding(str(source), "Bordereau", 1, "O2", None, "Z", "error", "dans une fusion")]
    copy = _same_record(source, tmp_path, ref, today, monkeypatch, tuple(far))
    sheet = openpyxl.load_workbook(copy)["Bordereau"]
    assert sheet["AB400"].comment is not None and sheet["N1"].comment is not None


def test_a_copy_of_a_copy(tmp_path, book, lines, ref, today, monkeypatch):
    """(A copy with comments is copied by openpyxl: the first copy is of a clean workbook.)"""
    first = _same_record(book(lines), tmp_path / "1", ref, today, monkeypatch)
    monkeypatch.undo()
    edited = tmp_path / "copie.xlsx"
    edited.write_bytes(first.read_bytes())
    late = (Finding(str(edited), "Bordereau", 8, "F8", None, "X", "error", "vu plus tard"),)
    again = _same_record(edited, tmp_path / "2", ref, today, monkeypatch, late)
    assert json.loads(_stored(again))["outil"] == ["Anomalies_"]
    assert list(json.loads(_stored(again))["feuilles"]) == ["Anomalies_", "Anomalies", "Bordereau"]


def test_fuzzed_workbooks(tmp_path, ref, today, monkeypatch):
    """Odd cells, mixed types, merged headers, two tables, hidden sheets...: every case the copy is made of parts
    for records what reading it back gives."""
    made = 0
    for name, suffix, make in cases(1212, int(os.environ.get("BORDEREAU_FUZZ_CASES", 60))):
        if suffix == ".ods":
            continue
        folder = tmp_path / name
        folder.mkdir()
        source = write_case(folder, name, suffix, make)
        try:
            open_sheets(source)
        except Exception:
            continue  # unreadable: no copy is made of it
        findings = check_files([source], ref, today).findings
        if not annotate_module._by_parts(source, findings, folder / "probe.xlsx", (), {}):
            continue  # the openpyxl road reads its copy back
        extra = (Finding(str(source), open_sheets(source)[0].name, 3, "B3", None, "X", "error", "ici"),)
        _same_record(source, folder, ref, today, monkeypatch, extra)
        monkeypatch.undo()
        made += 1
    assert made >= 5


def test_digests_are_kept_only_while_keeping_and_for_the_unchanged_file(tmp_path, book, lines, ref, today):
    source = book(lines)
    check_files([source], ref, today)
    assert provenance.kept(source) is None
    with provenance.keeping():
        check_files([source], ref, today)
        assert list(provenance.kept(source)) == ["Bordereau"]
        source.write_bytes(source.read_bytes() + b"")
        os.utime(source, ns=(1, random.randrange(10**9, 10**18)))
        assert provenance.kept(source) is None  # changed since the check: its copy is read back
    assert provenance.kept(source) is None
