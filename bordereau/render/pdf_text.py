"""Text in the PDF documents' core font: what it can print (latin-1) and how wide it is."""

from __future__ import annotations

import functools
import unicodedata

from fpdf.fonts import CORE_FONTS_CHARWIDTHS

FONT = "helvetica"
# the core fonts speak latin-1: what French text needs beyond it, written with latin-1 characters
_REPLACE = str.maketrans({"€": "EUR", "–": "-", "—": "-", "…": "...", "’": "'", "‘": "'", "“": '"', "”": '"',
                          "œ": "oe", "Œ": "OE", "\u202f": "\u00a0", "\u2009": " ", "\u2011": "-"})


def latin(text: object) -> str:
    """Text the PDF's font can print: French typography kept, anything else reduced to its base letter.

    >>> latin("128,06 € – Zoë Œuvre « ok »"), latin("Łukasz")
    ('128,06 EUR - Zoë OEuvre « ok »', 'Lukasz')
    """
    text = "" if text is None else str(text).translate(_REPLACE)
    try:
        text.encode("latin-1")
        return text
    except UnicodeEncodeError:
        pass
    out = []
    for char in text:
        if ord(char) < 256:
            out.append(char)
            continue
        base = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
        out.append(base or {"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ø": "o"}.get(char, "?"))
    return "".join(out)


def once_each(values, show, kinds: tuple[type, ...] = (str,), done: dict | None = None) -> list:
    """`show` of each value, called once per distinct value whose class is one of `kinds` (a bordereau repeats its
    dates, codes and amounts over thousands of lines), and for every other value (NaN, NaT and the like) each time.
    Values of different classes never share a result (1 and 1.0, True and 1 are equal keys of a dict). `done`, the
    memo, may be shared by several calls."""
    done = {} if done is None else done
    out = []
    for value in values:
        kind = value.__class__
        if kind in kinds:
            key = value if kind is str else (kind, value)  # a text is never equal to a tuple
            shown = done.get(key)
            if shown is None:
                shown = done[key] = show(value)
        else:
            shown = show(value)
        out.append(shown)
    return out


def latin_rows(rows) -> list[list[str]]:
    """`latin` of every cell of a table, each distinct text converted once."""
    done: dict = {}
    return [once_each(row, latin, done=done) for row in rows]


_CHAR_WIDTHS = {False: CORE_FONTS_CHARWIDTHS[FONT], True: CORE_FONTS_CHARWIDTHS[f"{FONT}B"]}


@functools.lru_cache(maxsize=1 << 16)
def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width (mm) of latin-1 `text` in the document's font: what FPDF.get_string_width gives, at a fraction of
    its cost (a bordereau's table measures hundreds of thousands of cells).

    >>> round(text_width("64,03 EUR", 7.5), 2)
    12.94
    """
    widths = _CHAR_WIDTHS[bold]
    return sum(widths.get(c, 556) for c in text) * size / 1000 * 25.4 / 72
