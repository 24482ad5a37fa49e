"""The workbooks the tool writes carry its clock's date as their creation date (docProps/core.xml), as every other
date it records: `--today` and the tests set it, not the machine."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

from bordereau import clock
from bordereau.render.xlsx import new_book


def created(path: Path, which: str = "created") -> dt.date:
    with zipfile.ZipFile(path) as archive:
        core = archive.read("docProps/core.xml").decode()
    found = re.search(rf"<dcterms:{which}[^>]*>(\d{{4}}-\d\d-\d\d)T\d\d:\d\d:\d\dZ</dcterms:{which}>", core)
    assert found, core
    return dt.date.fromisoformat(found.group(1))


def test_a_written_workbook_is_created_on_the_tools_day(tmp_path: Path) -> None:
    for day in (dt.date(2031, 2, 14), dt.date(2019, 12, 31)):
        with clock.fixed(day):
            book, _ = new_book(tmp_path / f"{day}.xlsx")
            book.add_worksheet("Feuille").write(0, 0, "x")
            book.close()
        # the day in UTC: a fixed day's local time may be the day before or after in UTC, never further
        assert abs((created(tmp_path / f"{day}.xlsx") - day).days) <= 1
        assert created(tmp_path / f"{day}.xlsx") != dt.date.today()


def test_an_annotated_copy_made_by_openpyxl_is_dated_by_the_tools_clock(tmp_path: Path, book, lines) -> None:
    """A workbook the parts road cannot edit (no styles part) is copied by openpyxl, whose own save stamps the
    machine's date as the copy's modification date; an .ods input is rebuilt from its values in a new workbook."""
    import openpyxl
    from fuzzing import ods_bytes, ods_rows
    from typer.testing import CliRunner

    from cli import app

    lines[0]["prise_en_charge"] = "Mutuelle"
    xlsx = book(lines)
    with zipfile.ZipFile(xlsx) as archive:
        parts = {n: archive.read(n) for n in archive.namelist() if n != "xl/styles.xml"}
    with zipfile.ZipFile(xlsx, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    ods = tmp_path / "centre.ods"
    ws = openpyxl.load_workbook(book(lines, name="ods-source.xlsx")).active
    ods.write_bytes(ods_bytes({"Bordereau": ods_rows([[c.value for c in row] for row in ws.iter_rows()])}))
    for source, copy in ((xlsx, "bordereau-anomalies.xlsx"), (ods, "centre-anomalies.xlsx")):
        for day in ("2031-02-14", "2019-12-31"):
            out = tmp_path / f"out-{source.suffix[1:]}-{day}"
            result = CliRunner().invoke(app, ["check", str(source), "--annotate", str(out), "--today", day])
            assert result.exit_code == 1, result.output
            for which in ("created", "modified") if source is ods else ("modified",):
                assert abs((created(out / copy, which) - dt.date.fromisoformat(day)).days) <= 1, which
