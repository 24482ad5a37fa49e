"""What a command imports: the heavy libraries only where they are needed (a check of 60 lines pays for pandas and
the reference data's validation, not for pandera, openpyxl, jinja2, SQLAlchemy, FastAPI or typer's help renderer).
Each case runs in a fresh interpreter, since the test session itself has imported everything."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pandas", "numpy", "pandera", "pydantic", "openpyxl", "jinja2", "sqlalchemy", "fastapi", "xlsxwriter", "fpdf",
         "psycopg", "typer.rich_utils", "rich.markdown")


def _loaded_after(code: str) -> list[str]:
    script = (f"import contextlib, io, json, sys\nimport cli\n{code}\n"
              f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_command_line_starts_without_heavy_libraries():
    assert _loaded_after("") == []


def test_a_check_imports_pandas_and_pydantic_only():
    example = ROOT / "examples" / "sps-dunkerque-2026-10-erreurs.xlsx"
    run = ("with contextlib.redirect_stdout(io.StringIO()):\n"
           f"    cli.app(['check', {str(example)!r}, '--json', '--today', '2026-11-23'], standalone_mode=False)")
    assert _loaded_after(run) == ["pandas", "numpy", "pydantic"]


def test_help_is_french_although_its_renderer_loads_late():
    done = subprocess.run([sys.executable, "cli.py", "check", "--help"], capture_output=True, text=True, cwd=ROOT,
                          timeout=120, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert "[obligatoire]" in done.stdout and "Affiche cette aide." in done.stdout
    done = subprocess.run([sys.executable, "cli.py", "--help"], capture_output=True, text=True, cwd=ROOT,
                          timeout=120, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    assert "Commandes" in done.stdout


def test_an_audit_imports_what_its_outputs_need_only(tmp_path: Path):
    """`audit --json` writes no workbook, PDF nor HTML: no openpyxl, xlsxwriter, fpdf2 nor jinja2; its ledger is
    SQLAlchemy's."""
    example = ROOT / "examples" / "sps-lille-2026-10.xlsx"
    run = ("with contextlib.redirect_stdout(io.StringIO()):\n"
           f"    cli.app(['audit', {str(example)!r}, '--json', '--today', '2026-11-23'{{}}], standalone_mode=False)")
    assert _loaded_after(run.format(", '--no-ledger'")) == ["pandas", "numpy", "pydantic"]
    ledger = f", '--db', {str(tmp_path / 'r.sqlite')!r}, '--key-file', {str(tmp_path / 'k')!r}"
    assert _loaded_after(run.format(ledger)) == ["pandas", "numpy", "pydantic", "sqlalchemy"]
