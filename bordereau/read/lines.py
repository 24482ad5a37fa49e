"""Turning a table's raw cells into typed columns, once per distinct value.

Every parse runs on the distinct values of a column (a column of 100,000 doses holds a few hundred dates and a handful
of prices), so the cost follows the variety of the data, not its length. Money becomes integer cents (exact);
unreadable values become None and keep their raw text for the messages.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
import re
from collections.abc import Callable
from operator import itemgetter

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from bordereau.identifiers import finess_compact, nir_compact, vaccine_code_compact
from bordereau.money import LINE_LIMIT, parse_amount, to_cents
from bordereau.read.layout import Table
from bordereau.text import clean_text, norm_label

COVERAGE_ALIASES = {
    "droit_commun": ("droit commun", "assuré", "assure social", "ayant droit", "AS", "DC"),
    "ald": ("ALD", "exonération ALD", "exo ALD", "ALD exonérante"),
    "ame": ("AME", "aide médicale de l'État"),
    "c2s": ("C2S", "CSS", "complémentaire santé solidaire", "CMU-C", "CMUC"),  # "CMU" alone is ambiguous
    "sans_droits": ("sans droits", "sans droit", "aucun droit", "non assuré", "droits fermés"),
}
_COVERAGE = {norm_label(alias): key for key, aliases in COVERAGE_ALIASES.items() for alias in aliases}
_REGIME_WORDS = {"rg": "01", "regimegeneral": "01", "msa": "02", "mutualitesocialeagricole": "02"}
_DATE_TEXT = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_ISO_TEXT = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T].*)?")
_EXCEL_EPOCH = dt.date(1899, 12, 30)

INVALID = object()  # a cell that holds something, but not a readable value


def _factorize(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the distinct values of `raw` (-1 for a missing one) and those values, told apart by type: pandas' hash
    table makes one value of True, 1 and 1.0 (and of False, 0 and 0.0), and a cell « VRAI » among line numbers would be
    read as 1. A column of one kind of value (pandas' `infer_dtype`, in C) cannot mix them.

    >>> codes, uniques = _factorize(np.array([1.0, True, 1, 1.0, None, False, 0.0], dtype=object))
    >>> codes.tolist(), [repr(v) for v in uniques]
    ([0, 1, 2, 0, -1, 3, 4], ['1.0', 'True', '1', 'False', '0.0'])
    """
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    if "mixed" not in infer_dtype(raw, skipna=True):
        return codes, uniques
    kinds, _ = pd.factorize(np.fromiter((v.__class__.__name__ for v in raw), dtype=object, count=len(raw)))
    present = np.flatnonzero(codes >= 0)
    exact, _ = pd.factorize(codes[present].astype(np.int64) * (kinds.max() + 1) + kinds[present])
    _, first = np.unique(exact, return_index=True)  # codes count from 0 in order of first appearance
    out = np.full(len(raw), -1, dtype=np.intp)
    out[present] = exact
    return out, raw[present[first]]


def _on_distinct(values: list | np.ndarray, parse: Callable[[object], object],
                 many: Callable[[list], list] | None = None) -> tuple[np.ndarray, np.ndarray, list]:
    """Raw cells as an array, the code of each cell's distinct value (-1 for a missing one) and the parsed distinct
    values (INVALID where unreadable), the last one that of a missing cell: `parsed[codes]` is every cell's.

    `parse` runs once per distinct value (pandas' hash table finds them); `many`, when given, parses a list of them
    at once and must give what `parse` gives each (a fast path for the common values).
    """
    if isinstance(values, np.ndarray):
        raw = values
    else:
        raw = np.empty(len(values), dtype=object)
        raw[:] = values
    codes, uniques = _factorize(raw)
    parsed = [parse(v) for v in uniques] if many is None else many(uniques.tolist())
    parsed.append(parse(None))  # for code -1, a missing value
    return raw, codes, parsed


def _repeated(value: object, n: int, parse: Callable[[object], object]) -> tuple[np.ndarray, np.ndarray, list]:
    """_on_distinct of `n` cells that all hold `value` (a FINESS of the header block), without a hash table."""
    raw = np.empty(n, dtype=object)
    raw[:] = [value] * n
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return raw, np.full(n, -1, dtype=np.intp), [parse(None)]
    return raw, np.zeros(n, dtype=np.intp), [parse(value), parse(None)]


def _typed(key: str, codes: np.ndarray, parsed: list) -> tuple[object, np.ndarray]:
    """(typed column, unreadable flags) of the cells from their codes and the parsed distinct values: dates as
    datetime64[s] (NaT when empty or unreadable), money as nullable Int64, anything else as objects (None when empty
    or unreadable). Each conversion runs on the distinct values, and numpy's indexing takes them to the cells."""
    bad = np.array([v is INVALID for v in parsed], dtype=bool)
    clean = [None if v is INVALID else v for v in parsed]
    if key in DATE_KEYS:
        days = np.array([np.datetime64("NaT") if v is None else v for v in clean], dtype="datetime64[D]")
        return days.astype("datetime64[s]")[codes], bad[codes]
    if key in MONEY_KEYS:
        known = np.array([v is not None for v in clean], dtype=bool)
        try:
            cents = np.array([0 if v is None else v for v in clean], dtype=np.int64)
        except (OverflowError, TypeError, ValueError):  # pragma: no cover - parse_line_cents gives small ints
            return pd.array(np.array(clean, dtype=object)[codes], dtype="Int64"), bad[codes]
        return pd.arrays.IntegerArray(cents[codes], ~known[codes]), bad[codes]
    return _taken(clean, codes), bad[codes]


def _taken(distinct: list, codes: np.ndarray) -> object:
    """`distinct[codes]` as pandas would store it in a frame: text (str values and None, a str among those used) as
    pandas' `str` array, made from the distinct values rather than inferred from every cell; anything else as
    objects (pandas infers their type when it makes the frame, as before)."""
    used = distinct if len(codes) and (codes < 0).any() else distinct[:-1]
    if (len(codes) and all(v is None or v.__class__ is str for v in distinct)
            and any(v.__class__ is str for v in used)):
        return pd.array(distinct, dtype="str").take(codes)
    values = np.empty(len(distinct), dtype=object)
    values[:] = distinct
    return values[codes]


def _columns(table: Table, keys: list[str]) -> dict[str, np.ndarray | list]:
    """The raw cells of the table's columns named by `keys`, each as one object array, from one 2-D array of the
    rows (half the time of taking the columns one by one), made by numpy's fromiter over the chained rows (a third of
    the time of np.array, which looks into every cell for a nested sequence). The rows of a sheet all have its width;
    should they not, the columns are taken one by one."""
    indices = [table.columns[key].index for key in keys]
    rows = table.rows
    width = len(rows[0]) if rows else 0
    if len(indices) > 1 and rows and width <= 2 * len(indices):  # the sheet's columns are mostly the table's
        source, where = rows, indices
    elif len(indices) > 1 and rows:  # a wide sheet: only the columns read, not all the sheet's
        source, where, width = list(map(itemgetter(*indices), rows)), list(range(len(indices))), len(indices)
    else:
        source = None
    if source is not None and set(map(len, source)) == {width}:  # else rows of unequal lengths
        cells = np.fromiter(itertools.chain.from_iterable(source), dtype=object, count=len(source) * width)
        block = cells.reshape(len(source), width)  # never looks into a cell, as np.array would
        return dict(zip(keys, block.T[where], strict=True))  # one copy, a contiguous row per column
    return {key: list(map(itemgetter(i), rows)) for key, i in zip(keys, indices, strict=True)}


def parse_date(value: object) -> object:
    """A date from an Excel date, a serial number or JJ/MM/AAAA text; None if empty, INVALID if unreadable.

    >>> parse_date("03/10/2026"), parse_date(45935.0), parse_date(" "), parse_date("31/02/2026") is INVALID
    (datetime.date(2026, 10, 3), datetime.date(2025, 10, 5), None, True)
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        return INVALID
    if isinstance(value, int | float):
        if 1 <= value < 2958466 and float(value).is_integer():
            return _EXCEL_EPOCH + dt.timedelta(days=int(value))
        return INVALID
    text = clean_text(value)
    if text is None:
        return None
    match = _DATE_TEXT.fullmatch(text)
    parts = (match.group(3), match.group(2), match.group(1)) if match else None
    if parts is None and (iso := _ISO_TEXT.fullmatch(text)):
        parts = iso.groups()
    if parts is None:
        return INVALID
    try:
        return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return INVALID


def parse_coverage(value: object) -> object:
    """The canonical coverage of a cell; None if empty, INVALID if unrecognised.

    >>> parse_coverage("Exo ALD"), parse_coverage("CMU-C"), parse_coverage(""), parse_coverage("mutuelle") is INVALID
    ('ald', 'c2s', None, True)
    """
    text = clean_text(value)
    if text is None:
        return None
    return _COVERAGE.get(norm_label(text), INVALID)


def regime_aliases(labels: dict[str, str]) -> dict[str, str]:
    """{normalised label: code} for the labels of tarifs/regimes.yaml: the whole label, the label without its
    parenthesis and what the parenthesis holds (« Mutualité sociale agricole (MSA) » gives all three).

    >>> sorted(regime_aliases({"02": "Mutualité sociale agricole (MSA)"}).items())
    [('msa', '02'), ('mutualitesocialeagricole', '02'), ('mutualitesocialeagricolemsa', '02')]
    """
    aliases = {}
    for code, label in labels.items():
        outside = re.sub(r"\([^)]*\)", "", label)
        inside = re.findall(r"\(([^)]*)\)", label)
        for alias in (label, outside, *inside):
            if norm_label(alias):
                aliases.setdefault(norm_label(alias), code)
    return aliases


_CODE_AND_LABEL = re.compile(r"(\d{1,2})\s*(?:[–—:./)-]\s*)?([^\d\s–—:./)-][^\d]*)")


def parse_regime(value: object, aliases: dict[str, str] | None = None) -> object:
    """Two-digit code régime from a code (1, "1", "01"), a code with its label ("01 - Régime général") or a known
    label ("MSA"); anything else is returned as typed (REGIME_UNKNOWN), a NIR, a date or « 9 patates » included.
    `aliases` are those of the reference data (regime_aliases); without them, only the two main régimes are known.

    >>> parse_regime(1.0), parse_regime("01 - Régime général"), parse_regime("MSA"), parse_regime("xx")
    ('01', '01', '02', 'xx')
    >>> parse_regime("1 14 09 59 471 976 22"), parse_regime("01/10/2026"), parse_regime("9 patates")
    ('1 14 09 59 471 976 22', '01/10/2026', '9 patates')
    >>> parse_regime("02 - Régime général"), parse_regime("2 MSA"), parse_regime(1.5)
    ('02 - Régime général', '02', '1.5')
    """
    text = clean_text(value)
    if text is None:
        return None
    aliases = _REGIME_WORDS if aliases is None else {**_REGIME_WORDS, **aliases}
    if re.fullmatch(r"\d{1,2}", text):
        return text.zfill(2)
    with_label = _CODE_AND_LABEL.fullmatch(text)
    if with_label:
        code = with_label.group(1).zfill(2)
        return code if aliases.get(norm_label(with_label.group(2))) == code else text
    return aliases.get(norm_label(text), text)


def parse_cents(value: object) -> object:
    """Whole cents of an amount cell; INVALID when it is not an amount with two decimals, or negative.

    >>> parse_cents("98,50 €"), parse_cents(-3.0) is INVALID, parse_cents("64,025") is INVALID
    (9850, True, True)
    """
    if clean_text(value) is None:
        return None
    amount = parse_amount(value)
    return INVALID if amount is None or amount < 0 else to_cents(amount)


def parse_line_cents(value: object) -> object:
    """parse_cents for the amounts of one dose line, which never reach 1,000,000 EUR: past that, a typo.

    >>> parse_line_cents("98,50"), parse_line_cents(1e18) is INVALID, parse_line_cents("1 000 000,00") is INVALID
    (9850, True, True)
    """
    cents = parse_cents(value)
    return INVALID if isinstance(cents, int) and cents >= to_cents(LINE_LIMIT) else cents


MAX_LINE_NUMBER = 1_048_576  # a sheet's last row: no bordereau numbers its lines beyond


def parse_line_number(value: object) -> object:
    """A « N° de ligne »: a whole number from 1 to 1,048,576; None if empty, INVALID otherwise (a NIR typed there,
    a code, a date...).

    >>> parse_line_number(12.0), parse_line_number(" 3 "), parse_line_number(None)
    (12, 3, None)
    >>> [parse_line_number(v) is INVALID for v in ("214035986539536", 0, 2.5, "A3", True, 10**7)]
    [True, True, True, True, True, True]
    """
    if isinstance(value, bool):
        return INVALID
    text = clean_text(value)
    if text is None:
        return None
    number = int(text) if text.isascii() and text.isdigit() and len(text) <= 7 else 0
    return number if 1 <= number <= MAX_LINE_NUMBER else INVALID


def _text_or_none(value: object) -> str | None:
    text = clean_text(value)
    return text if text is None else text.replace("\n", " ")


def _code(compact: Callable[[object], str]) -> Callable[[object], str | None]:
    def parse(value: object) -> str | None:
        return None if clean_text(value) is None else compact(value)

    return parse


PARSERS: dict[str, Callable[[object], object]] = {
    "ligne": parse_line_number,
    "nom": _text_or_none,
    "prenom": _text_or_none,
    "vaccin": _text_or_none,
    "dose": _text_or_none,
    "nir": _code(nir_compact),
    "code_vaccin": _code(vaccine_code_compact),
    "finess_juridique": _code(finess_compact),
    "finess_geographique": _code(finess_compact),
    "code_regime": parse_regime,
    "prise_en_charge": parse_coverage,
    "date_naissance": parse_date,
    "date_administration": parse_date,
    "prix_unitaire": parse_line_cents,
    "montant_amo": parse_line_cents,
    "montant_complementaire": parse_line_cents,
    "montant_total": parse_line_cents,
}
DATE_KEYS = ("date_naissance", "date_administration")


def _as_datetime64(value: object) -> object:
    parsed = parse_date(value)
    return parsed if parsed is None or parsed is INVALID else np.datetime64(parsed, "D")


def _nirs(values: list) -> list:
    """PARSERS["nir"] of each value, a NIR typed as 15 ASCII digits (spaces between them or not, the common case)
    taken as it is: the general path (Unicode digits, separators, numbers) gives the same.

    >>> _nirs(["2 55 08 14 168 025 38", "255081416802538", "", 255081416802538.0, "１５"])
    ['255081416802538', '255081416802538', None, '255081416802538', '15']
    """
    parse = PARSERS["nir"]
    out = []
    for value in values:
        if value.__class__ is str:
            text = value.replace(" ", "")
            if len(text) == 15 and text.isdigit() and text.isascii():
                out.append(text)
                continue
        out.append(parse(value))
    return out


MANY: dict[str, Callable[[list], list]] = {"nir": _nirs}  # parsers of many distinct values at once
MONEY_KEYS = ("prix_unitaire", "montant_amo", "montant_complementaire", "montant_total")


def to_frame(table: Table, path: str, regimes: dict[str, str] | None = None) -> pd.DataFrame:
    """The table's dose rows as typed columns; `<key>_raw` keeps the cell as read, `<key>_bad` flags unreadable ones.

    Dates become datetime64 (NaT when empty or unreadable), money integer cents (nullable). A FINESS given in the
    header block applies to every row. `regimes` ({code: label}, the reference data's) lets a label name a régime.
    """
    aliases = regime_aliases(regimes) if regimes else None
    n = len(table.rows)
    data: dict[str, object] = {"path": [], "sheet": [], "row": []}  # as pandas reads empty lists
    if n:  # the same columns as pandas would infer from lists of n values, made whole
        same = np.zeros(n, dtype=np.intp)
        data = {"path": _taken([path, None], same), "sheet": _taken([table.sheet, None], same),
                "row": np.fromiter(table.row_numbers, dtype=np.int64, count=n)}
    read = _columns(table, [key for key in PARSERS if key in table.columns])
    for key, parse in PARSERS.items():
        if key not in read and not (key.startswith("finess") and key in table.block):
            continue
        if key in DATE_KEYS:
            parse = _as_datetime64
        elif key == "code_regime":
            parse = functools.partial(parse_regime, aliases=aliases)
        if key in read:
            raw, codes, parsed = _on_distinct(read.pop(key), parse, MANY.get(key))
        else:
            raw, codes, parsed = _repeated(table.block[key][0], n, parse)
        values, bad = _typed(key, codes, parsed)
        data[f"{key}_raw"], data[f"{key}_bad"], data[key] = raw, bad, values
    return pd.DataFrame(data)
