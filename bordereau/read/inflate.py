"""A zip entry's bytes, inflated by ISA-L (python-isal) rather than zlib, for the extent guard's streaming reads.

The guard (read/extent.py) inflates every sheet of a workbook before calamine opens it: for the 62 MB sheet of a
100,000-line bordereau, zipfile's inflate and CRC take 0.1 s, ISA-L's 0.04 s. `entry_blocks` gives the bytes
`archive.open(part).read(size)` gives, in the same blocks: the entry's raw deflate stream is read through zipfile
itself (the entry opened as if it were stored, its local header checked by zipfile as usual), inflated to the end of
the deflate stream, and its CRC-32 checked before the last block is given, as zipfile does.

`scan(archive, part, size, consume)` runs `consume` over those blocks; if the fast read fails in any way (a damaged
stream, a bad CRC, a truncated file, a stream cut short or longer than the size the table of contents declares),
`consume` runs again over zipfile's own read, which then fails or not exactly as it always did: a damaged workbook
gets the same finding, decided by zipfile and zlib. Entries that are not deflated (stored, bzip2, lzma) are read by
zipfile alone. tests/test_inflate.py compares the two reads.
"""

from __future__ import annotations

import copy
import functools
import zipfile
from collections.abc import Callable, Iterator
from typing import TypeVar

from isal import isal_zlib

T = TypeVar("T")

_RAW_READ = 1 << 18  # compressed bytes read at a time
# what the fast read may raise on a damaged archive (isal's own error included), before zipfile reads it again
_FAST_ERRORS = (isal_zlib.error, zipfile.BadZipFile, EOFError, OSError, ValueError, RuntimeError,
                NotImplementedError, KeyError, OverflowError)


class _Unusual(ValueError):
    """A stream that does not end where it should (cut short, longer than its declared size), or an inflater that
    neither consumes input nor gives output: zipfile reads the entry, and decides what becomes of it."""


def exact_blocks(archive: zipfile.ZipFile, part: str, size: int) -> Iterator[bytes]:
    """zipfile's read of the entry, `size` bytes at a time (the last block shorter)."""
    with archive.open(part) as handle:
        yield from iter(functools.partial(handle.read, size), b"")


def entry_blocks(archive: zipfile.ZipFile, part: str, size: int) -> Iterator[bytes]:
    """The entry's bytes in blocks of `size` (the last one shorter), as `exact_blocks` gives them when the entry is
    sound; a damaged entry raises (not always what zipfile raises, nor at the same block: see `scan`)."""
    info = archive.getinfo(part)
    if info.compress_type != zipfile.ZIP_DEFLATED:
        yield from exact_blocks(archive, part, size)
        return
    raw = copy.copy(info)  # the raw stream, read by zipfile as a stored entry of the compressed size, CRC unchecked
    raw.compress_type, raw.file_size = zipfile.ZIP_STORED, info.compress_size
    del raw.CRC
    inflater = isal_zlib.decompressobj(-15)
    left, crc = info.file_size, 0
    block, pieces, have = None, [], 0  # the last full block, given once the next one (or the end) is known
    with archive.open(raw) as handle:
        data, read_all = b"", False
        while not inflater.eof:
            if not data and not read_all:
                data = handle.read(_RAW_READ)
                read_all = not data  # the inflater may still hold output
            before = len(data)
            # up to the declared size; one byte beyond it tells a stream longer than declared (zipfile's business)
            out = inflater.decompress(data, min(left, size - have) if left > 0 else 1)
            data = inflater.unconsumed_tail
            if len(out) > left or (not out and len(data) == before and not inflater.eof):
                raise _Unusual(part)  # beyond the declared size, cut short, or stuck
            left -= len(out)
            crc = isal_zlib.crc32(out, crc)
            pieces.append(out)
            have += len(out)
            if have == size:
                if block is not None:
                    yield block
                block, pieces, have = b"".join(pieces), [], 0
    if crc != info.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {part!r}")
    if block is not None:
        yield block
    if have:
        yield b"".join(pieces)


def scan(archive: zipfile.ZipFile, part: str, size: int, consume: Callable[[Iterator[bytes]], T]) -> T:
    """`consume(blocks)` over the entry's bytes read fast; over zipfile's read if the fast read fails."""
    try:
        return consume(entry_blocks(archive, part, size))
    except _FAST_ERRORS:
        return consume(exact_blocks(archive, part, size))
