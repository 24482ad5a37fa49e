"""The quick extent of an xlsx sheet (`quick_extent`) skips, in one pass, the chunks whose cells all lie within
A1:Z99999: on sheets made by code, written in small chunks so that every kind of chunk is met, it gives exactly what
the two-pass version before it gave (kept here as the reference), and a bound never below the exact extent. References
written in lower case or with `$`, which the version before let through, are now bounded too."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bordereau.read import extent
from bordereau.read.extent import column_number, quick_extent, xlsx_extent

_FAR_REF = re.compile(rb'<c r="([A-Z]{2,}\d+|[A-Z]\d{6,})"')


def _reference_quick_extent(archive: zipfile.ZipFile, part: str) -> tuple[int, int] | None:
    """quick_extent as it was before the one-pass test of near chunks (commit 8078e38)."""
    rows, columns = 99_999, 26
    with archive.open(part) as handle:
        for chunk in extent._chunks(handle):
            if not extent._plain_cells(chunk):
                return None
            for ref in _FAR_REF.findall(chunk):
                digits = ref.lstrip(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")
                rows = max(rows, int(digits))
                columns = max(columns, column_number(ref[:len(ref) - len(digits)]))
    return rows, columns


_LETTERS = st.sampled_from(["A", "B", "M", "Z", "AA", "AB", "ZZ", "XFD", "a", "xfd", "$A", "$AB$"])
_ROWS = st.sampled_from([1, 7, 99_999, 100_000, 299_999, 300_000, 1_048_576, 123_456_789])


@st.composite
def _cell(draw) -> str:
    letters, row = draw(_LETTERS), draw(_ROWS)
    ref = f"{letters}{row}"
    return draw(st.sampled_from([
        f'<c r="{ref}"><v>1</v></c>', f'<c r="{ref}" t="s"><v>0</v></c>', f'<c r="{ref}"/>',
        f'<c s="1" r="{ref}"/>', f"<c r='{ref}'/>", f'<x:c r="{ref}"/>', "<c><v>2</v></c>",
        f'<c  r="{ref}"/>', f'<c r="0{ref}"/>', f'<c r="{letters}00{row}"/>',
        '<cols><col min="1" max="3"/></cols>', '<cfRule type="x"/>',
        '<c r="A1"><v>10:30</v></c>', '<c r="B2" t="inlineStr"><is><t>a:c</t></is></c>',
    ]))


def _sheet(cells: list[str]) -> bytes:
    body = "".join(f'<row r="{i + 1}">{c}</row>' for i, c in enumerate(cells))
    return (f'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"<sheetData>{body}</sheetData></worksheet>").encode()


def _archive(xml: bytes) -> zipfile.ZipFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", xml)
    return zipfile.ZipFile(buffer)


@pytest.mark.parametrize("chunk", [40, 257, 1 << 20])
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(near=st.lists(st.sampled_from(['<c r="A1"><v>1</v></c>', '<c r="M99999" t="s"><v>3</v></c>']), max_size=30),
       cells=st.lists(_cell(), max_size=12), at=st.integers(0, 30))
def test_the_quick_extent_is_unchanged_and_a_bound(monkeypatch, chunk, near, cells, at):
    monkeypatch.setattr(extent, "CHUNK", chunk)
    archive = _archive(_sheet([*near[:at], *cells, *near[at:]]))
    part = "xl/worksheets/sheet1.xml"
    quick = quick_extent(archive, part)
    reference = _reference_quick_extent(archive, part)
    if reference is None or quick is None:
        assert quick is reference
    elif re.search(r'r="[^"]*[a-z$]', "".join(cells)):  # references in lower case or with `$`: now bounded too
        assert quick[0] >= reference[0] and quick[1] >= reference[1]
    else:
        assert quick == reference
    if quick is not None:
        rows, columns = xlsx_extent(archive, part)
        assert quick[0] >= rows and quick[1] >= columns


def test_a_far_cell_in_a_sheet_of_near_chunks_is_found(monkeypatch):
    monkeypatch.setattr(extent, "CHUNK", 64)
    near = ['<c r="B5"><v>1</v></c>'] * 200
    archive = _archive(_sheet([*near[:150], '<c r="XFD1048576"/>', *near[150:]]))
    assert quick_extent(archive, "xl/worksheets/sheet1.xml") == (1_048_576, 16_384)


@pytest.mark.parametrize("chunk", [64, 1 << 20])
def test_a_far_row_above_the_last_cell_of_its_chunk_is_found(monkeypatch, chunk):
    """A sheet not written in order: the last cell of a chunk is not its largest row."""
    monkeypatch.setattr(extent, "CHUNK", chunk)
    cells = ['<c r="C150000"/>', '<c r="B700000"><v>1</v></c>', '<c r="A0300000"/>', '<c r="D200000"/>']
    archive = _archive(_sheet(cells * 3))
    assert quick_extent(archive, "xl/worksheets/sheet1.xml") == (700_000, 26)


@pytest.mark.parametrize("chunk", [64, 257, 1 << 20])
@pytest.mark.parametrize("before", [True, False])
def test_a_far_cell_in_a_start_tag_longer_than_a_chunk_is_found(monkeypatch, chunk, before):
    """A start tag longer than a chunk was once dropped: a far cell padded with an attribute of megabytes went past
    the bound, and calamine aborted the process allocating its sheet."""
    monkeypatch.setattr(extent, "CHUNK", chunk)
    pad = f' x="{"y" * (3 * chunk + 5)}"'
    far = f'<c{pad} r="XFD1048576"/>' if before else f'<c r="XFD1048576"{pad}/>'
    archive = _archive(_sheet(['<c r="B5"><v>1</v></c>'] * 20 + [far] + ['<c r="A6"/>'] * 5))
    part = "xl/worksheets/sheet1.xml"
    bound = quick_extent(archive, part)
    assert bound is None or bound == (1_048_576, 16_384)
    assert xlsx_extent(archive, part) == (1_048_576, 16_384)


def test_an_opendocument_row_in_a_start_tag_longer_than_a_chunk_is_counted(monkeypatch):
    monkeypatch.setattr(extent, "CHUNK", 64)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("content.xml", '<table:table table:name="a"><table:table-row table:number-rows-repeated="3000"'
                         f' x="{"y" * 500}"><table:table-cell table:number-columns-repeated="16384" '
                         'office:value-type="string"/></table:table-row></table:table>')
    assert extent.ods_extents(zipfile.ZipFile(buffer)) == [(3000, 16384)]
