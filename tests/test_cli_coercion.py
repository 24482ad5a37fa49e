"""The options' values without pydantic (bordereau/cli_coercion.py) are typer's own: the same value, or the same
error, for every option of every command, on values a person types and values that go wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main
from typer import _click
from typer._coercion import build_runtime_param

import cli
from bordereau.cli_coercion import QuickCoercion, quick_value

GROUP = typer.main.get_command(cli.app)
PARAMS = [(name, p) for name, command in GROUP.commands.items() for p in command.params] + [
    ("", p) for p in GROUP.params]


def _values(folder: Path) -> list[object]:
    (folder / "classeur.xlsx").write_bytes(b"x")
    (folder / "dossier").mkdir()
    hidden = folder / "illisible.xlsx"
    hidden.write_bytes(b"x")
    hidden.chmod(0)
    texts = ["", " ", "x", "-", "--", "absent.xlsx", str(folder / "classeur.xlsx"), str(folder / "dossier"),
             str(hidden), "a\x00b", "2026-11-23", "23/11/2026", " 03/10/2026 ", "31/02/2026", "2026-13-45", "demain",
             "12", "-3", "0", "1e3", "1.5", "oui", "true", "HPV-595-590780102-20261123-1", "cpam", "centre", "é" * 3]
    return [None, *texts, *[(t,) for t in texts], ("1", "Z"), ("a", "b", "c"), (), [], ["x", "y"], 5, 1.5, True,
            False, Path("x"), b"octets", ("12",), ("x", str(folder / "classeur.xlsx"))]


def _outcome(coercion, param, value, ctx):
    try:
        return "value", coercion.coerce(value, param=param, ctx=ctx)
    except Exception as exc:  # the error, as the user reads it
        message = exc.format_message() if isinstance(exc, _click.ClickException) else str(exc)
        return exc.__class__, message


@pytest.mark.parametrize(("command", "param"), PARAMS, ids=[f"{c}-{p.name}" for c, p in PARAMS])
def test_every_option_gets_typers_own_value_or_error(tmp_path, command, param):
    ctx = _click.Context(GROUP.commands.get(command, GROUP), info_name=command or "bordereau")
    own = build_runtime_param(param.type_descriptor)
    for value in _values(tmp_path):
        quick = _outcome(QuickCoercion(param), param, value, ctx)
        assert quick == _outcome(own, param, value, ctx), (command, param.name, value)


def test_the_usual_options_take_the_quick_way(tmp_path):
    """A check's files, date, report and ledger never need typer's own coercion (which imports pydantic)."""
    from typer.core import _TyperParameter

    assert _TyperParameter.get_runtime_param.__module__ == "bordereau.cli_coercion"
    check = GROUP.commands["check"]
    ctx = _click.Context(check, info_name="check")
    params = {p.name: p for p in check.params}
    assert quick_value(params["files"], ("a.xlsx", str(tmp_path)), ctx) == [Path("a.xlsx"), tmp_path]
    assert quick_value(params["today"], "23/11/2026", ctx) == cli.parse_day("2026-11-23")
    assert quick_value(params["report"], "r.html", ctx) == Path("r.html")
    assert quick_value(params["db"], "postgresql://x", ctx) == "postgresql://x"
    assert quick_value(params["ref"], None, ctx) is None
