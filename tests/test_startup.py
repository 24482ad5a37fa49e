"""What a command imports: the heavy libraries only where they are needed (a check of 60 lines pays for pandas; not
for pydantic, which typer's parsing of the options no longer needs (bordereau/cli_coercion.py), nor for pandera,
openpyxl, jinja2, SQLAlchemy, FastAPI, rich or typer's help renderer, nor, once the validated reference data is in the
cache, for pyyaml and the schemas). Each case runs in a fresh interpreter, since the test session itself has imported
everything."""

from __future__ import annotations

import contextlib
import gc
import io
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pandas", "numpy", "pandera", "pydantic", "openpyxl", "jinja2", "sqlalchemy", "fastapi", "xlsxwriter", "fpdf",
         "psycopg", "typer.rich_utils", "rich", "yaml", "bordereau.reference.schema", "pyarrow", "fastexcel",
         "reportlab", "uvicorn", "platformdirs.windows")
EXAMPLE = ROOT / "examples" / "sps-dunkerque-2026-10-erreurs.xlsx"
TODAY = ("--today", "2026-11-23")


def _loaded_after(code: str) -> list[str]:
    script = (f"import contextlib, io, json, sys\nimport cli\n{code}\n"
              f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_command_line_starts_without_heavy_libraries():
    assert _loaded_after("") == []


def _run(*args: str) -> str:
    """The snippet running the command line with `args`, its output discarded."""
    return ("with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    cli.app({list(args)!r}, standalone_mode=False)")


def test_a_check_imports_pandas_only():
    first = _loaded_after(_run("check", str(EXAMPLE), "--json", *TODAY))  # validates the reference data and caches it
    assert first == ["pandas", "numpy", "pydantic", "yaml", "bordereau.reference.schema"]  # pydantic: the schemas
    assert _loaded_after(_run("check", str(EXAMPLE), "--json", *TODAY)) == ["pandas", "numpy"]
    # a folder, a date typed as people do, the reference data named: still without pydantic
    assert _loaded_after(_run("check", str(EXAMPLE.parent), "--json", "--today", "23/11/2026", "--ref",
                              str(ROOT))) == ["pandas", "numpy"]


def test_totals_and_a_printed_check_import_no_more():
    _loaded_after(_run("totals", str(EXAMPLE), "--json", *TODAY))
    assert _loaded_after(_run("totals", str(EXAMPLE), "--json", *TODAY)) == ["pandas", "numpy"]
    # a person reading a terminal gets rich's tables, still without the help renderer
    assert _loaded_after(_run("check", str(EXAMPLE), *TODAY)) == ["pandas", "numpy", "rich"]


def test_version_and_help_import_no_data_library():
    assert _loaded_after(_run("--version")) == []
    done = subprocess.run([sys.executable, "cli.py", "--version"], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("bordereau ")


def test_a_command_leaves_the_garbage_collector_as_it_found_it():
    """The start pauses the collector and freezes what it made (cli.py): a command gives both back at its end."""
    import cli

    with contextlib.redirect_stdout(io.StringIO()):
        cli.app(["check", str(EXAMPLE), "--json", *TODAY], standalone_mode=False)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    with contextlib.redirect_stdout(io.StringIO()):
        cli.app(["status", *TODAY], standalone_mode=False)  # no reference data read
    assert gc.isenabled() and gc.get_freeze_count() == 0


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
    _loaded_after(run.format(", '--no-ledger'"))  # validates the reference data and caches it
    assert _loaded_after(run.format(", '--no-ledger'")) == ["pandas", "numpy"]
    ledger = f", '--db', {str(tmp_path / 'r.sqlite')!r}, '--key-file', {str(tmp_path / 'k')!r}"
    _loaded_after(run.format(ledger))  # creates the ledger's key, and says so on the terminal (rich)
    assert _loaded_after(run.format(ledger)) == ["pandas", "numpy", "sqlalchemy"]
