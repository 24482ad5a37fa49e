"""Turning a table's raw cells into typed columns, once per distinct value.

Every parse runs on the distinct values of a column (a column of 100,000 doses holds a few hundred dates and a handful
of prices), so the cost follows the variety of the data, not its length. Money becomes integer cents (exact);
unreadable values become None and keep their raw text for the messages.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from bordereau.identifiers import finess_compact, nir_compact, vaccine_code_compact
from bordereau.money import LINE_LIMIT, parse_amount, to_cents
from bordereau.read.cells import INVALID, taken, typed
from bordereau.read.cells import columns_of as _columns
from bordereau.read.cells import on_distinct as _on_distinct
from bordereau.read.cells import repeated as _repeated
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
# the columns whose distinct values check reuses
TEXT_KEYS = ("nom", "prenom", "nir", "vaccin", "code_vaccin", "code_regime", "prise_en_charge")


def _typed(key: str, codes: np.ndarray, parsed: list) -> tuple[object, np.ndarray]:
    return typed("date" if key in DATE_KEYS else "money" if key in MONEY_KEYS else None, codes, parsed)


def to_frame(table: Table, path: str, regimes: dict[str, str] | None = None,
             distinct: dict[str, tuple[np.ndarray, list]] | None = None) -> pd.DataFrame:
    """The table's dose rows as typed columns; `<key>_raw` keeps the cell as read, `<key>_bad` flags unreadable ones.

    Dates become datetime64 (NaT when empty or unreadable), money integer cents (nullable). A FINESS given in the
    header block applies to every row. `regimes` ({code: label}, the reference data's) lets a label name a régime.
    `distinct`, when given, receives for each text column read from the cells (TEXT_KEYS) the code of each cell's
    distinct value and those values as the column holds them (None where empty or unreadable): `values[codes]` is
    the column, and the checks that work once per distinct value need not find them again.
    """
    aliases = regime_aliases(regimes) if regimes else None
    n = len(table.rows)
    data: dict[str, object] = {"path": [], "sheet": [], "row": []}  # as pandas reads empty lists
    if n:  # the same columns as pandas would infer from lists of n values, made whole
        same = np.zeros(n, dtype=np.intp)
        data = {"path": taken([path, None], same), "sheet": taken([table.sheet, None], same),
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
        if distinct is not None and key in TEXT_KEYS and key in table.columns:
            distinct[key] = (codes, [None if v is INVALID else v for v in parsed])
        data[f"{key}_raw"], data[f"{key}_bad"], data[key] = raw, bad, values
    return pd.DataFrame(data)
