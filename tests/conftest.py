"""Shared fixtures: the reference data, a fixed `today`, clean dose lines and workbooks written by code.

The tool's clock (`bordereau.clock`) is fixed to TODAY for every test. `BORDEREAU_TEST_MOVE_CLOCK=AAAA-MM-JJ` moves the
machine's clock too (time-machine) for the whole run: `.ci/run` runs the suite a second time that way, so a date that
comes from the real clock instead of the tool's fails a test.

Every workbook of the tests is made here with `bordereau.samples.write_bordereau`, from lines that the check engine
accepts without a single finding; a test then plants exactly one mistake and looks for exactly one finding.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import random
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from bordereau import clock
from bordereau.check.model import CheckResult
from bordereau.check.run import check_files
from bordereau.findings import Finding
from bordereau.reference.data import DEFAULT_REF_DIR, Centre, Reference, load_reference
from bordereau.samples import STANDARD_COLUMNS, dose_line, make_nir, write_bordereau

TODAY = dt.date(2026, 11, 23)
LILLE = "590780102"  # FINESS géographique of the SPS de Lille (CPAM 595)
START, END = dt.date(2026, 10, 1), dt.date(2026, 10, 31)
GARDASIL, NIMENRIX = "3400930056202", "3400922253930"
HEADER_ROW = 7  # Excel row of the column headers in write_bordereau's standard layout
FIRST_ROW = HEADER_ROW + 1
LETTER = {key: chr(ord("A") + i) for i, (_, key) in enumerate(STANDARD_COLUMNS)}  # nir -> "C"...

if os.environ.get("BORDEREAU_TEST_MOVE_CLOCK"):  # the machine's clock moved for the whole run, ticking from there
    import time_machine

    time_machine.travel(dt.datetime.fromisoformat(os.environ["BORDEREAU_TEST_MOVE_CLOCK"]), tick=True).start()

with tempfile.TemporaryDirectory(prefix="bordereau-test-cache-") as _cache:  # never the user's cache folder
    _saved, os.environ["XDG_CACHE_HOME"] = os.environ.get("XDG_CACHE_HOME"), _cache
    _REF = load_reference()
    if _saved is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = _saved


# -- plain helpers (importable: `from conftest import findings`) --------------------------------------------------


def findings(result: CheckResult, code: str) -> list[Finding]:
    """The findings of one code."""
    return [f for f in result.findings if f.code == code]


def codes(result: CheckResult) -> list[str]:
    """The codes found, sorted, repeated as often as they occur."""
    return sorted(f.code for f in result.findings)


def cell(key: str, row: int) -> str:
    """The A1 reference of a column of the standard layout."""
    return f"{LETTER[key]}{row}"


def pupil(n: int, birth: dt.date = dt.date(2014, 3, 12), *, coverage: str = "droit_commun", regime: str | None = "01",
          sex: int = 2, nir: bool = True) -> dict:
    """A pupil whose NIR is valid and states its date of birth; `n` makes names and NIR distinct."""
    return {
        "nom": f"ELEVE{chr(65 + n)}", "prenom": ("Lucas", "Emma", "Jules", "Léa", "Hugo", "Zoé")[n % 6],
        "nir": make_nir(random.Random(n), sex, birth) if nir else None,
        "date_naissance": birth, "code_regime": regime, "coverage": coverage,
    }


def edit_workbook(path: Path, change: Callable) -> Path:
    """Open a written workbook with openpyxl, let `change(sheet)` alter it, save it in place."""
    book = openpyxl.load_workbook(path)
    change(book.active)
    book.save(path)
    return path


# -- fixtures ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def ref() -> Reference:
    return _REF


@pytest.fixture
def today() -> dt.date:
    return TODAY


@pytest.fixture
def centre(ref: Reference) -> Centre:
    return ref.centre_by_finess[LILLE]


@pytest.fixture
def clean_lines(ref: Reference, centre: Centre) -> list[dict]:
    """Four correct lines, rows 8 to 11: droit commun, C2S (HPV + MenACWY the same day), sans droits without NIR."""
    a, b = pupil(0, dt.date(2014, 3, 12)), pupil(1, dt.date(2013, 11, 2), coverage="c2s", sex=1)
    c = pupil(2, dt.date(2014, 6, 30), coverage="sans_droits", regime=None, nir=False)
    return [
        dose_line(ref, centre, a, GARDASIL, dt.date(2026, 10, 5), 1),
        dose_line(ref, centre, b, GARDASIL, dt.date(2026, 10, 5), 1),
        dose_line(ref, centre, b, NIMENRIX, dt.date(2026, 10, 5), 1),
        dose_line(ref, centre, c, GARDASIL, dt.date(2026, 10, 12), 1),
    ]


@pytest.fixture
def lines(clean_lines: list[dict]) -> list[dict]:
    """A fresh copy of the clean lines, to plant a mistake in."""
    return copy.deepcopy(clean_lines)


@pytest.fixture
def book(tmp_path: Path, centre: Centre) -> Callable[..., Path]:
    """`book(lines, name=..., centre=..., start=..., end=..., **write_bordereau options)` -> the workbook's path."""

    def write(lines: list[dict], name: str = "bordereau.xlsx", *, centre: Centre = centre, start: dt.date = START,
              end: dt.date = END, **options) -> Path:
        return write_bordereau(tmp_path / name, centre, start, end, lines, **options)

    return write


@pytest.fixture
def check(ref: Reference, today: dt.date) -> Callable[..., CheckResult]:
    """`check(path, ...)` -> the CheckResult of those workbooks checked together on TODAY."""

    def run(*paths: Path, ref: Reference = ref) -> CheckResult:
        return check_files(list(paths), ref, today)

    return run


@pytest.fixture
def ref_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped reference data (centres.yaml and tarifs/)."""
    folder = tmp_path / "ref"
    folder.mkdir()
    shutil.copy(DEFAULT_REF_DIR / "centres.yaml", folder / "centres.yaml")
    shutil.copytree(DEFAULT_REF_DIR / "tarifs", folder / "tarifs")
    return folder


@pytest.fixture(autouse=True)
def fixed_clock():
    """The tool's clock says TODAY in every test, whatever the machine's date."""
    with clock.fixed(TODAY):
        yield


@pytest.fixture(autouse=True)
def private_ledger(tmp_path_factory, monkeypatch):
    """Every test gets its own ledger and key: nothing is written in the user's folders."""
    home = tmp_path_factory.mktemp("ledger")
    monkeypatch.setenv("BORDEREAU_DB", str(home / "ledger.sqlite"))
    monkeypatch.setenv("BORDEREAU_KEY_FILE", str(home / "ledger.key"))
    # and should a test unset those, the default folders are private too
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))  # the validated reference data (reference/cache.py)
    monkeypatch.delenv("BORDEREAU_REF", raising=False)  # the shipped reference data, whatever the user's shell says
    return home
