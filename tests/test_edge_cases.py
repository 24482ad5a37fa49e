"""Edge cases of the check found by fault injection (issue 15): what a « Code régime » cell may hold, what a line
number may be."""

from __future__ import annotations

import pytest
from conftest import findings


@pytest.mark.parametrize(("typed", "code"), [
    ("01", "01"), ("1", "01"), (1, "01"), (2.0, "02"), ("01 - Régime général", "01"), ("01 Régime général", "01"),
    ("02 – MSA", "02"), ("Régime général", "01"), ("MSA", "02"), ("Mutualité sociale agricole", "02"),
    ("08 - CNMSS (militaires)", "08"), ("SNCF", "04"),
])
def test_a_code_regime_is_a_code_a_code_with_its_label_or_a_known_label(book, check, lines, typed, code):
    lines[0]["code_regime"] = typed
    result = check(book(lines))
    assert result.findings == [] and result.lines.loc[0, "code_regime"] == code


@pytest.mark.parametrize(("typed", "shown"), [
    ("1 14 09 59 471 976 22", "1 14 09 59 *** *** **"), ("01/10/2026", "01/10/2026"), ("9 patates", "9 patates"),
    ("02 - Régime général", "02 - Régime général"), ("1.5", "1.5"), ("88", "88"), ("RG MSA", "RG MSA"),
])
def test_anything_else_is_regime_unknown(book, check, lines, typed, shown):
    lines[0]["code_regime"] = typed
    [found] = check(book(lines)).findings
    assert (found.code, found.cell, found.message) == ("REGIME_UNKNOWN", "E8", f"Code régime « {shown} » inconnu")


def _numbered(book, lines, numbers) -> object:
    from bordereau.samples import STANDARD_COLUMNS

    for line, number in zip(lines, numbers, strict=True):
        line["ligne"] = number
    return book(lines, columns=[("N°", "ligne"), *STANDARD_COLUMNS])


def test_a_line_number_is_a_small_positive_integer_or_a_finding(book, check, lines):
    nirs = [line["nir"] or "214035986539536" for line in lines]
    result = check(_numbered(book, lines, [nirs[0], 2, "A3", 10**7]))
    found = findings(result, "LINE_NUMBER_INVALID")
    assert [(f.cell, f.severity) for f in found] == [("A8", "warning"), ("A10", "warning"), ("A11", "warning")]
    assert found[0].message.startswith(f"N° de ligne « {nirs[0][0]} {nirs[0][1:3]} {nirs[0][3:5]} {nirs[0][5:7]} ***")
    assert result.lines["ligne"].tolist() == [None, 2, None, None]
    assert not result.lines["excluded"].any()  # a warning: the lines are still billed


def test_nirs_in_the_line_number_column_reach_no_audit_output_nor_the_ledger(book, lines, tmp_path, monkeypatch):
    import json

    import sqlalchemy as sa
    from test_ledger import PG, runner

    from bordereau.ledger.metadata import metadata
    from bordereau.ledger.schema import audited_lines, schema_version
    from cli import app

    url = PG or str(tmp_path / "ledger.sqlite")
    if PG:
        engine = sa.create_engine(PG.replace("postgresql://", "postgresql+psycopg://"))
        with engine.begin() as connection:
            metadata.drop_all(connection)
            schema_version.drop(connection, checkfirst=True)
        engine.dispose()
    nirs = [line["nir"] or "214035986539536" for line in lines]
    path = _numbered(book, lines, [float(n) for n in nirs])
    result = runner.invoke(app, ["audit", str(path), "--json", "--db", url, "--today", "2026-11-23"])
    assert result.exit_code in (0, 1), result.output
    assert not any(n in result.stdout for n in nirs)
    assert [line["ligne"] for line in json.loads(result.stdout)["lines"]] == [8, 9, 10, 11]
    engine = sa.create_engine(url if "://" in url else f"sqlite:///{url}")
    with engine.connect() as connection:
        stored = connection.execute(sa.select(audited_lines.c.line_no)).scalars().all()
    engine.dispose()
    assert sorted(stored) == [8, 9, 10, 11]
