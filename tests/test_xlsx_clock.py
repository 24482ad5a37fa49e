"""The workbooks the tool writes carry its clock's date as their creation date (docProps/core.xml), as every other
date it records: `--today` and the tests set it, not the machine."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

from bordereau import clock
from bordereau.render.xlsx import new_book


def created(path: Path) -> dt.date:
    with zipfile.ZipFile(path) as archive:
        core = archive.read("docProps/core.xml").decode()
    found = re.search(r"<dcterms:created[^>]*>(\d{4}-\d\d-\d\d)T\d\d:\d\d:\d\dZ</dcterms:created>", core)
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
