"""Fuzz test: broken and odd workbooks through every command that reads one. Each answers with findings and exit
0, 1 or 2, never « Erreur inattendue », never a traceback, never a Python « Exception ignored ».

Each case goes through `check --annotate --report --json`, then through one of `totals`, `export --skip-invalid`
and `audit` in turn. The budget is BORDEREAU_FUZZ_CASES cases (default 200, about a minute and a half) from the seed
BORDEREAU_FUZZ_SEED; run thousands with, for example, `BORDEREAU_FUZZ_CASES=3000 pytest tests/test_fuzz.py -x`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fuzzing import cases, write_case
from typer.testing import CliRunner

from cli import app

CASES = int(os.environ.get("BORDEREAU_FUZZ_CASES", "200"))
SEED = int(os.environ.get("BORDEREAU_FUZZ_SEED", "20261123"))
TODAY = ["--today", "2026-11-23"]
runner = CliRunner()


def _commands(k: int, path: Path, out: Path) -> list[list[str]]:
    others = [["totals", str(path), *TODAY], ["export", str(path), "--skip-invalid", "--out", str(out / "export"),
                                              *TODAY], ["audit", str(path), *TODAY]]
    return [["check", str(path), "--annotate", str(out / "annotees"), "--report", str(out / "rapport.html"), "--json",
             *TODAY], others[k % 3]]


@pytest.fixture(autouse=True, scope="module")
def reference_once():
    """The reference data is read once for all cases: it is not what this test is about."""
    import cli

    reference, load = cli._reference(None), cli._reference
    cli._reference = lambda ref: reference
    yield
    cli._reference = load


@pytest.mark.parametrize(("name", "suffix", "make"), list(cases(SEED, CASES)), ids=lambda v: v if isinstance(v, str)
                         and v[:1].isdigit() else "")
def test_every_command_answers(tmp_path: Path, name: str, suffix: str, make):
    path = write_case(tmp_path, name, suffix, make)
    for args in _commands(int(name.split("-")[0]), path, tmp_path / "sorties"):
        result = runner.invoke(app, args)
        said = result.stdout + result.stderr
        assert result.exit_code in (0, 1, 2), (args[0], result.exception, said[-2000:])
        assert result.exception is None or isinstance(result.exception, SystemExit), (args[0], repr(result.exception))
        assert "Erreur inattendue" not in said, (args[0], said[-2000:])
        assert "Exception ignored" not in said and "Traceback" not in said, (args[0], said[-2000:])
