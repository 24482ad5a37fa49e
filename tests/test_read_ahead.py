"""The read ahead (bordereau/read/ahead.py) gives exactly what the plain read gives: the same sheets, or the same
exception (so the same FILE_UNREADABLE finding), for normal, fuzzed and hostile workbooks, one by one and in a batch;
an exception in the worker thread surfaces in the checking thread; no thread outlives a command."""

from __future__ import annotations

import json
import random
import threading
import zipfile
from pathlib import Path

import pytest
from fuzzing import SOURCES, cases, ods_bytes, ods_rows, write_case
from typer.testing import CliRunner

import cli
from bordereau.errors import WorkbookUnreadable
from bordereau.read import ahead, workbook
from bordereau.read.workbook import open_sheets

TODAY = ["--today", "2026-11-23"]
runner = CliRunner()


def _rezip(source: Path, target: Path, change) -> Path:
    with zipfile.ZipFile(source) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, change(name, content))
    return target


def _hostile(folder: Path) -> list[Path]:
    """One file of each kind the guard and the reader refuse, and the readable formats other than xlsx."""
    source = SOURCES[0]
    data = source.read_bytes()
    made = {
        "normal.xlsx": data,
        "tronque.xlsx": data[: len(data) // 2],
        "vide.xlsx": b"",
        "texte.xlsx": b"ceci n'est pas un classeur",
        "chiffre.xlsx": workbook._OLE_MAGIC + bytes(600),  # an encrypted xlsx is an OLE container
        "ancien.xls": workbook._OLE_MAGIC + bytes(600),  # an .xls calamine cannot parse
        "classeur.ods": ods_bytes({"Feuille": ods_rows([["a", 1.5], [None, "b"]])}),
        "bombe.ods": ods_bytes({"Bombe": '<table:table-row table:number-rows-repeated="3000"><table:table-cell '
                                'table:number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p>'
                                "</table:table-cell></table:table-row>"}),
    }
    paths = []
    for name, content in made.items():
        (folder / name).write_bytes(content)
        paths.append(folder / name)
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    paths.append(_rezip(source, folder / "loin.xlsx", lambda name, content: content.replace(b"</sheetData>", far)
                        if name.startswith("xl/worksheets/") else content))
    paths.append(_rezip(source, folder / "zip-bombe.xlsx", lambda name, content: content))
    with zipfile.ZipFile(paths[-1], "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/bombe.bin", bytes(40 * 2**20))  # 40 MiB of zeros: a ratio of about 1000:1
    return paths


def _outcome(read, path: Path):
    """The sheets (repr, NaN-proof) or the exception's type and text."""
    try:
        return repr([(s.name, s.rows) for s in read(path)])
    except Exception as exc:
        return exc.__class__, str(exc)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("lecture")
    fuzzed = [write_case(folder, *case) for case in cases(20261126, 24)]
    return [*_hostile(folder), *fuzzed, *SOURCES]


def test_the_hostile_files_are_refused_as_they_should():
    """The cases are what they claim: each refusal comes from the guard or the reader, with its reason."""
    folder = Path(__import__("tempfile").mkdtemp())
    said = {p.name: _outcome(open_sheets, p) for p in _hostile(folder)}
    assert isinstance(said["normal.xlsx"], str) and isinstance(said["classeur.ods"], str)
    assert "bombe de décompression" in said["zip-bombe.xlsx"][1] and "16384 colonnes" in said["bombe.ods"][1]
    assert "trop grande" in said["loin.xlsx"][1] and "mot de passe" in said["chiffre.xlsx"][1]
    assert said["vide.xlsx"][1] == "fichier vide" and "corrompu" in said["ancien.xls"][1]


def test_one_file_at_a_time_as_the_plain_read(files):
    for path in files:
        reading = ahead.start([path])
        try:
            assert _outcome(ahead.sheets_of, path) == _outcome(open_sheets, path), path.name
        finally:
            reading.stop()


def test_a_batch_read_one_file_ahead_as_the_plain_read(files):
    expected = [_outcome(open_sheets, path) for path in files]
    reading = ahead.start(files)
    try:
        assert [_outcome(ahead.sheets_of, path) for path in files] == expected
    finally:
        reading.stop()
    assert not reading._thread.is_alive() and ahead._active is None


def test_a_file_out_of_order_is_read_in_place(files):
    first, second = files[0], files[-1]
    reading = ahead.start([first, second])
    try:
        assert _outcome(ahead.sheets_of, second) == _outcome(open_sheets, second)  # not the worker's: plain read
        assert _outcome(ahead.sheets_of, first) == _outcome(open_sheets, first)
    finally:
        reading.stop()
    assert not reading._thread.is_alive()


def test_a_missing_path_leaves_the_check_to_say_so(tmp_path):
    reading = ahead.start([tmp_path / "absent.xlsx"])
    reading.stop()
    assert not reading._thread.is_alive()
    with pytest.raises(WorkbookUnreadable, match="lecture impossible"):
        ahead.sheets_of(tmp_path / "absent.xlsx")


class _Panic(BaseException):
    """What a Rust panic in calamine is (pyo3's PanicException derives from BaseException)."""


def test_a_panic_in_the_worker_is_the_same_finding(monkeypatch, tmp_path):
    path = tmp_path / "b.xlsx"
    path.write_bytes(SOURCES[0].read_bytes())

    class Broken:
        @staticmethod
        def from_path(_):
            raise _Panic("boom")

    monkeypatch.setattr(workbook.calamine, "CalamineWorkbook", Broken)
    through_thread = runner.invoke(cli.app, ["check", str(path), "--json", *TODAY])
    monkeypatch.setattr(cli, "_read_ahead", lambda *args, **kwargs: None)
    plain = runner.invoke(cli.app, ["check", str(path), "--json", *TODAY])
    assert through_thread.stdout == plain.stdout and through_thread.exit_code == plain.exit_code == 1
    [finding] = json.loads(plain.stdout)["findings"]
    assert finding["code"] == "FILE_UNREADABLE" and "(_Panic)" in finding["message"]


def test_another_error_in_the_worker_is_raised_in_the_checking_thread(monkeypatch, tmp_path):
    path = tmp_path / "b.xlsx"
    path.write_bytes(SOURCES[0].read_bytes())

    def fail(_):
        raise RuntimeError("dans le fil")

    monkeypatch.setattr(ahead, "parse_sheets", fail)
    reading = ahead.start([path])
    try:
        with pytest.raises(RuntimeError, match="dans le fil"):
            ahead.sheets_of(path)
    finally:
        reading.stop()


def _threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "bordereau-read-ahead"]


@pytest.mark.parametrize("command", [["check", "--json"], ["totals", "--json"], ["audit", "--no-ledger", "--json"]])
def test_the_commands_give_what_the_plain_read_gives(monkeypatch, tmp_path, files, command):
    folder = tmp_path / "lot"
    folder.mkdir()
    for path in random.Random(3).sample(files, 8):
        (folder / path.name).write_bytes(path.read_bytes())
    args = [command[0], str(folder), *command[1:], *TODAY]
    ahead_of_time = runner.invoke(cli.app, args)
    assert not _threads()
    monkeypatch.setattr(cli, "_read_ahead", lambda *args, **kwargs: None)
    plain = runner.invoke(cli.app, args)
    assert ahead_of_time.exit_code == plain.exit_code and ahead_of_time.stdout == plain.stdout


def test_no_thread_outlives_a_command_that_fails(tmp_path):
    done = runner.invoke(cli.app, ["check", str(SOURCES[0]), "--ref", str(tmp_path / "absente"), *TODAY])
    assert done.exit_code == 2 and not _threads()


def test_ctrl_c_stops_the_command_and_its_reader(monkeypatch, tmp_path):
    """Ctrl-C while the worker reads: the program stops as it did (typer's exit code 130) once the worker has
    finished the file it was parsing; no thread is left."""
    started = threading.Event()

    def slow(path):
        started.set()
        threading.Event().wait(0.3)  # calamine parsing a large sheet: cannot be interrupted
        return workbook.parse_sheets(path)

    def interrupted(ref):
        started.wait(5)
        raise KeyboardInterrupt

    monkeypatch.setattr(ahead, "parse_sheets", slow)
    monkeypatch.setattr(cli, "_reference", interrupted)
    done = runner.invoke(cli.app, ["check", str(SOURCES[0]), "--json", *TODAY])
    assert done.exit_code == 130 and not _threads()
    monkeypatch.setattr(cli, "_read_ahead", lambda *args, **kwargs: started.set())
    assert runner.invoke(cli.app, ["check", str(SOURCES[0]), "--json", *TODAY]).exit_code == 130  # as without it


def test_an_audit_reads_ahead_in_its_manifests_order(tmp_path, files):
    """A CPAM's folder lists its bordereaux in a manifest, in its own order: the worker follows it (no file read
    twice, none read in place)."""
    from bordereau.read.inputs import audit_inputs

    folder = tmp_path / "595"
    folder.mkdir()
    names = ["c.xlsx", "b.xlsx", "a.xlsx"]
    for name, source in zip(names, SOURCES, strict=False):
        (folder / name).write_bytes(source.read_bytes())
    (folder / "manifest.json").write_text(json.dumps({"files": [{"name": n} for n in names]}), encoding="utf-8")
    listed = audit_inputs([folder])
    assert [p.name for p in listed] == names
    reading = ahead.start([folder], audit_inputs)
    try:
        assert [_outcome(ahead.sheets_of, p) for p in listed] == [_outcome(open_sheets, p) for p in listed]
        assert not reading._stopped  # every file came from the worker
    finally:
        reading.stop()


def test_no_thread_to_be_had_means_the_plain_read(monkeypatch, files):
    def refused(self):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refused)
    reading = ahead.start(files[:2])
    try:
        assert [_outcome(ahead.sheets_of, p) for p in files[:2]] == [_outcome(open_sheets, p) for p in files[:2]]
    finally:
        reading.stop()
    assert ahead._active is None
