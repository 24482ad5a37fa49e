"""render/xlsx_rows: a table written column by column gives the very bytes xlsxwriter writes cell by cell, on
generated, hostile and mixed-type values; whatever it does not cover exactly, it leaves to the cell-by-cell path."""

from __future__ import annotations

import datetime as dt
import random
import zipfile
from pathlib import Path

import pytest

from bordereau.render import export_files
from bordereau.render.xlsx import new_book
from bordereau.render.xlsx_rows import write_table
from tests.fuzzing import VALUES

EXACT = [
    None, "", " ", "  lead", "trail ", "a&b<c>\"d'", "tab\tnew\nline\r", "a\x01b\x1fc", "a_x0001_b", "_x00AB_",
    "é" * 300, "🙂" * 5, "\u202f", "=1/0", "+33 6", "<b>&amp;</b>", "<r>x", "x</r>", 0, 1, -5, 2**63, 10**20,
    1.5, 0.1, 98.12345, -1e-300, 1e308, 12.34, dt.datetime(1900, 1, 1), dt.datetime(1900, 3, 1),
    dt.datetime(2026, 10, 5, 13, 45, 7, 123456), dt.date(2026, 10, 3), dt.datetime(9999, 12, 31, 23, 59),
]


def _cell_by_cell(ws, first: int, columns: list[list], formats: list) -> None:
    """What the exports did before: one call per cell, by type."""
    for r, row in enumerate(zip(*columns, strict=True), start=first):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, dt.date):
                ws.write_datetime(r, c, value, formats[c])
            elif isinstance(value, int | float) and not isinstance(value, bool):
                ws.write_number(r, c, value, formats[c])
            elif isinstance(value, str):
                ws.write_string(r, c, value, formats[c])
            else:
                ws.write(r, c, value, formats[c])


def _book(path: Path, columns: list[list], fast: bool, options: dict | None = None) -> bool:
    """A workbook as the exports write them: a header block, the table, a totals row; returns whether the fast
    path wrote the table."""
    book, f = new_book(path, big=True)
    book.set_properties({"created": dt.datetime(2026, 11, 23, 10, 0)})
    if options:
        book.default_date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    ws = book.add_worksheet("Bordereau")
    ws.write_string(0, 0, "Titre", f["title"])
    ws.write_string(2, 0, "Période", f["bold"])
    ws.write_datetime(2, 1, dt.datetime(2026, 10, 1), f["date"])
    extra = book.add_format({"italic": True})
    ws.set_column(2, 2, 20, extra)  # a column format: the cells without one of their own take it
    for c in range(len(columns)):
        ws.write_string(4, c, f"col {c}", f["head"])
    formats = [[f["money"], None, None, f["date"], f["wrap"]][c % 5] for c in range(len(columns))]
    done = fast and write_table(ws, 5, columns, formats)
    if not done:
        _cell_by_cell(ws, 5, columns, formats)
    last = 5 + len(columns[0])
    ws.write_string(last, 0, "TOTAL", f["money_bold"])
    ws.write_number(last, 1, 12.5, f["money_bold"])
    ws.set_row(4, 30)
    book.close()
    return done


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def _same(tmp_path: Path, columns: list[list], options: dict | None = None) -> bool:
    fast, slow = tmp_path / "fast.xlsx", tmp_path / "slow.xlsx"
    done = _book(fast, columns, True, options)
    _book(slow, columns, False, options)
    assert _parts(fast) == _parts(slow)
    assert fast.read_bytes() == slow.read_bytes()
    return done


@pytest.mark.parametrize("seed", range(12))
def test_random_tables_are_written_as_cell_by_cell(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    width, height = rng.randint(1, 18), rng.randint(1, 400)
    pool = EXACT + [rng.random() * 1000 for _ in range(20)] + [f"nom {i}" for i in range(50)]
    columns = [[rng.choice(pool) if rng.random() > 0.1 else None for _ in range(height)] for _ in range(width)]
    assert _same(tmp_path, columns, {"default_date": True} if seed % 3 == 0 else None)


def test_empty_rows_columns_and_formats_first_used_late(tmp_path: Path) -> None:
    """Rows and columns without a cell, a format first used far down (its index orders styles.xml)."""
    height = 50
    columns = [[None] * height for _ in range(6)]
    columns[1][7] = "x"
    columns[0][30] = 3.25  # the money format's first use, after a text in column 1
    columns[3][20] = dt.date(2026, 1, 2)
    columns[5][49] = 7
    assert _same(tmp_path, columns)
    assert _same(tmp_path, [[None] * 10 for _ in range(3)])  # nothing at all


@pytest.mark.parametrize("value", [v for v in VALUES if v is not None] + [float("nan"), float("inf"), "<r>x</r>",
                                                                         "y" * 16_384, "🙂" * 16_384])
def test_fuzz_values_either_exact_or_left_to_the_cell_path(tmp_path: Path, value: object) -> None:
    """Every value of the fuzzer among ordinary ones: written exactly, or refused before anything is written (then
    the cell-by-cell path writes the table, or raises as xlsxwriter does)."""
    columns = [["a", value, 1.5, dt.date(2026, 1, 1)] * 5 for _ in range(3)]
    try:
        done = _same(tmp_path, columns)
    except TypeError:  # NaN or infinite: xlsxwriter refuses them, and so the fast path leaves them to it
        done = False
    kind = value.__class__
    ordinary = (kind in (str, int, float) and (kind is not str or len(value) <= 16_383) and value == value
                and value not in (float("inf"), float("-inf")) and not (kind is str and value.startswith("<r>")
                                                                     and value.endswith("</r>")))
    assert done == (ordinary or isinstance(value, dt.date))


def test_a_sheet_kept_in_memory_or_with_row_formats_is_left_to_the_cell_path(tmp_path: Path) -> None:
    book, _ = new_book(tmp_path / "small.xlsx")
    ws = book.add_worksheet()
    assert not write_table(ws, 1, [["a"]], [None])
    book.close()
    book, _ = new_book(tmp_path / "big.xlsx", big=True)
    ws = book.add_worksheet()
    ws.set_row(3, 40)
    assert not write_table(ws, 1, [["a", "b", "c"]], [None])
    ws.write_string(5, 0, "x")
    assert not write_table(ws, 5, [["a"]], [None])  # a row already written
    book.close()


def test_big_bordereau_same_bytes_both_paths(tmp_path: Path, monkeypatch) -> None:
    """write_bordereau on real priced lines, as a big (streamed) workbook: the fast table and the cell-by-cell loop
    give the same file."""
    from bordereau.check.run import check_files
    from bordereau.export.plan import plan
    from bordereau.reference.data import load_reference

    ref = load_reference()
    examples = Path(__file__).resolve().parent.parent / "examples"
    result = check_files(sorted(examples.glob("sps-lille*.xlsx")), ref, dt.date(2026, 11, 23))
    export = plan(result, ref, dt.datetime(2026, 11, 23, 10, 0))
    bordereaux = [b for items in export.bordereaux.values() for b in items]
    assert bordereaux
    monkeypatch.setattr(export_files, "BIG", 0)
    for b in bordereaux:
        export_files.write_bordereau(tmp_path / "fast.xlsx", b, export.departement(b.centre))
        with monkeypatch.context() as m:
            m.setattr(export_files, "write_table", lambda *args: False)
            export_files.write_bordereau(tmp_path / "slow.xlsx", b, export.departement(b.centre))
        fast, slow = _parts(tmp_path / "fast.xlsx"), _parts(tmp_path / "slow.xlsx")
        fast.pop("docProps/core.xml"), slow.pop("docProps/core.xml")  # the time of writing
        assert fast == slow
        assert b't="inlineStr"' in fast["xl/worksheets/sheet1.xml"]  # streamed indeed
