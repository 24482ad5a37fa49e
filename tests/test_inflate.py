"""The extent guard's fast inflate (read/inflate.py, ISA-L) against zipfile's own read: the same blocks of the same
bytes for every sound entry, and for a damaged one (flipped bytes, a truncated file, a wrong CRC or size in the table
of contents) the very outcome of zipfile's read, since `scan` falls back to it."""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bordereau.read import extent, inflate
from bordereau.read.workbook import _ZIP_ERRORS

PART = "xl/worksheets/sheet1.xml"


def _zip(data: bytes, method: int = zipfile.ZIP_DEFLATED, level: int | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method, compresslevel=level) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr(PART, data)
    return buffer.getvalue()


def _outcome(read):
    """What a read gives: its blocks, or that it failed as zipfile (or ISA-L) fails on a damaged archive."""
    try:
        return read()
    except (*_ZIP_ERRORS, *inflate._FAST_ERRORS) as exc:
        return ("failed", type(exc).__name__)


def _both(raw: bytes, size: int):
    archive = zipfile.ZipFile(io.BytesIO(raw))
    exact = _outcome(lambda: list(inflate.exact_blocks(archive, PART, size)))
    scanned = _outcome(lambda: inflate.scan(archive, PART, size, list))
    fast = _outcome(lambda: list(inflate.entry_blocks(archive, PART, size)))
    return exact, scanned, fast


_TEXT = st.one_of(
    st.binary(max_size=3000),
    st.lists(st.sampled_from([b'<c r="A1"><v>1</v></c>', b"<row>", b"x" * 300, b"\x00", b"<", b">"]),
             max_size=400).map(b"".join),
)


@settings(max_examples=150, deadline=None)
@given(data=_TEXT, size=st.sampled_from([1, 7, 64, 1000, 1 << 20]), level=st.sampled_from([0, 1, 6, 9]))
def test_a_sound_entry_gives_zipfiles_blocks(data, size, level):
    exact, scanned, fast = _both(_zip(data, level=level), size)
    assert exact == scanned == fast
    assert b"".join(fast) == data


@settings(max_examples=300, deadline=None)
@given(data=_TEXT, size=st.sampled_from([1, 64, 1000, 1 << 20]), seed=st.integers(0, 2**32 - 1),
       flips=st.integers(1, 4))
def test_a_damaged_entry_gives_zipfiles_outcome(data, size, seed, flips):
    raw = bytearray(_zip(data))
    archive = zipfile.ZipFile(io.BytesIO(bytes(raw)))
    info = archive.getinfo(PART)
    start = info.header_offset + 30 + len(PART)  # the entry's compressed bytes (no extra field from writestr)
    end = start + info.compress_size
    rng = random.Random(seed)
    for _ in range(flips):
        if end > start:
            raw[rng.randrange(start, end)] ^= 1 << rng.randrange(8)
    exact, scanned, fast = _both(bytes(raw), size)
    assert scanned == exact
    assert fast == exact or fast[0] == "failed"  # the fast read alone may fail otherwise: scan then asks zipfile


@pytest.mark.parametrize("field, value", [("crc", 1), ("size", -1), ("size", +1), ("size", -500),
                                          ("compressed", -3), ("compressed", +3)])
@pytest.mark.parametrize("size", [100, 1 << 20])
def test_a_lying_table_of_contents_gives_zipfiles_outcome(field, value, size):
    data = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i) for i in range(1, 400))
    raw = bytearray(_zip(data))
    archive = zipfile.ZipFile(io.BytesIO(bytes(raw)))
    info = archive.getinfo(PART)
    central = bytes(raw).rfind(b"PK\x01\x02")  # the sheet is the last entry
    offset = {"crc": 16, "compressed": 20, "size": 24}[field]
    old = struct.unpack_from("<I", raw, central + offset)[0]
    new = old ^ value if field == "crc" else max(old + value, 0)
    struct.pack_into("<I", raw, central + offset, new)
    assert zlib.crc32(data) == info.CRC
    exact, scanned, fast = _both(bytes(raw), size)
    assert scanned == exact
    assert fast == exact or fast[0] == "failed"


def test_a_truncated_file_gives_zipfiles_outcome():
    raw = _zip(b"<c/>" * 50_000)
    archive = zipfile.ZipFile(io.BytesIO(raw))
    info = archive.getinfo(PART)
    cut = raw[:info.header_offset + 30 + len(PART) + info.compress_size // 2]
    # the table of contents read from the whole file, the entry's bytes from the truncated one
    archive.fp = io.BytesIO(cut)
    exact = _outcome(lambda: list(inflate.exact_blocks(archive, PART, 4096)))
    scanned = _outcome(lambda: inflate.scan(archive, PART, 4096, list))
    assert exact[0] == "failed" and scanned == exact


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_entries_not_deflated_are_read_by_zipfile(method):
    data = b'<c r="A1"/>' * 10_000
    exact, scanned, fast = _both(_zip(data, method), 1000)
    assert exact == scanned == fast and b"".join(fast) == data


@pytest.mark.parametrize("chunk", [40, 257, 1 << 20])
@settings(max_examples=100, deadline=None)
@given(cells=st.lists(st.sampled_from([
    '<c r="A1"><v>1</v></c>', '<c r="M99999" t="s"><v>3</v></c>', '<c r="XFD1048576"/>', '<c r="aa7"/>',
    '<c r="$B$100000"/>', '<x:c r="A1"/>', "<c><v>2</v></c>", '<row r="300000"/>', "<cols/>"]), max_size=60))
def test_the_extents_are_those_of_zipfiles_read(chunk, cells):
    body = "".join(f'<row r="{i + 1}">{c}</row>' for i, c in enumerate(cells)).encode()
    archive = zipfile.ZipFile(io.BytesIO(_zip(b"<worksheet><sheetData>" + body + b"</sheetData></worksheet>")))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(extent, "CHUNK", chunk)
        fast = extent.quick_extent(archive, PART), extent.xlsx_extent(archive, PART)
        patch.setattr(inflate, "entry_blocks", inflate.exact_blocks)
        assert (extent.quick_extent(archive, PART), extent.xlsx_extent(archive, PART)) == fast
