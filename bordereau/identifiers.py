"""Identifiers: FINESS, NIR and CIP/UCD codes, through python-stdnum wherever it knows them.

Each ``*_problem`` function returns None for a valid value, or a short French reason that never repeats a full NIR.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
from stdnum import ean, luhn
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from stdnum.fr import nir as stdnum_nir

_FINESS = re.compile(r"(\d{2}|2A|2B)\d{7}")
_SEPARATORS = re.compile(r"[\s.\-/\u00a0\u202f]+")


def _digits_text(value: object) -> str:
    """A code typed as text or stored by Excel as a number, without separators; full-width or other Unicode digits
    become ASCII ones (NFKC), so that a code is always ASCII or plainly invalid.

    >>> _digits_text("１ ７９ ０２"), _digits_text(59078010.0), _digits_text("٣٤")
    ('17902', '59078010', '34')
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    if not text.isascii():
        text = "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in text)
    return _SEPARATORS.sub("", text).upper()


# -- FINESS -----------------------------------------------------------------------------------------------------


def finess_compact(value: object) -> str:
    """Normalise a FINESS; an 8-digit number is one whose leading zero Excel dropped.

    >>> finess_compact(10000024.0), finess_compact(" 59 078 0011 ")
    ('010000024', '590780011')
    """
    text = _digits_text(value)
    if len(text) == 8 and text.isdigit():
        text = "0" + text
    return text


def finess_problem(value: str) -> str | None:
    """Check a compacted FINESS: 9 characters, département prefix (2A/2B for Corsica), Luhn key over 9 digits.

    Corsica's 2A/2B count as 21/22 in the key (not the NIR's 19/18).

    >>> [finess_problem(v) for v in ("750712184", "2A0000170", "2B0000020")]
    [None, None, None]
    >>> finess_problem("750712185")
    'clé de contrôle incorrecte'
    >>> finess_problem("75071218")
    '8 caractères au lieu de 9'
    """
    if len(value) != 9:
        return f"{len(value)} caractères au lieu de 9"
    if not _FINESS.fullmatch(value):
        return "format incorrect (2 chiffres ou 2A/2B, puis 7 chiffres)"
    digits = value.replace("2A", "21", 1) if value.startswith("2A") else value
    digits = digits.replace("2B", "22", 1) if digits.startswith("2B") else digits
    return None if luhn.is_valid(digits) else "clé de contrôle incorrecte"


# -- NIR --------------------------------------------------------------------------------------------------------


def nir_compact(value: object) -> str:
    """A NIR typed with spaces or stored as a number (exact below 2**53).

    >>> nir_compact(255081416802538.0), nir_compact("2 55 08 14 168 025 38")
    ('255081416802538', '255081416802538')
    """
    text = _digits_text(value)
    return text if len(text) == 15 and text.isalnum() else stdnum_nir.compact(text)


def nir_problem(value: str) -> str | None:
    """Why a compacted NIR is not valid, without repeating it.

    >>> nir_problem("255081416802538") is None
    True
    >>> nir_problem("255081416802539")
    'clé du NIR incorrecte (attendue 38)'
    >>> nir_problem("25508141680253")
    '14 caractères au lieu de 15'
    """
    if len(value) == 15 and value.isascii() and value.isdigit():  # the common case: stdnum's key, not its clean-up
        expected = stdnum_nir.calc_check_digits(value)
        return None if value[13:] == expected else f"clé du NIR incorrecte (attendue {expected})"
    try:
        stdnum_nir.validate(value)
    except InvalidChecksum:
        return f"clé du NIR incorrecte (attendue {stdnum_nir.calc_check_digits(value)})"
    except InvalidLength:
        return f"{len(value)} caractères au lieu de 15"
    except (InvalidFormat, InvalidComponent):
        return "format incorrect (15 chiffres, 2A/2B pour la Corse)"
    except ValidationError:  # pragma: no cover - stdnum's other errors
        return "NIR invalide"
    return None


def nir_birth_month(value: str) -> tuple[int, int] | None:
    """(two-digit year, month) of birth that a valid NIR states, or None when its month is unknown or fictitious.

    Months 31-42 are 1-12 in some registrations; 20 and 50+ mean unknown.

    >>> nir_birth_month("255081416802538"), nir_birth_month("255331416802538"), nir_birth_month("255201416802538")
    ((55, 8), (55, 3), None)
    """
    year, month = int(value[1:3]), int(value[3:5])
    if 31 <= month <= 42:
        month -= 30
    return (year, month) if 1 <= month <= 12 else None


def nir_birth_mismatch(nirs: pd.Series, births: pd.Series) -> pd.Series:
    """Vectorised: valid NIRs whose year and month of birth (months 01-12, or 31-42 less 30) differ from the date of
    birth. Unknown months never mismatch.

    >>> nirs = pd.Series(["255081416802538", "255081416802538", "255201416802538"])
    >>> births = pd.Series(pd.to_datetime(["1955-08-03", "2013-08-03", "2013-08-03"]))
    >>> nir_birth_mismatch(nirs, births).tolist()
    [False, True, False]
    """
    if nirs.empty:
        return pd.Series(False, index=nirs.index)
    year, month, known = nir_birth_months(nirs)
    differs = (year != births.dt.year.to_numpy() % 100) | (month != births.dt.month.to_numpy())
    return pd.Series(known & differs, index=nirs.index)


def nir_birth_months(nirs: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised: (two-digit year, month, whether the month is known) that each NIR states; a NIR that is not 15
    ASCII digits (2A/2B) states no month.

    >>> [a.tolist() for a in nir_birth_months(pd.Series(["255331416802538", "1850320123456", None]))]
    [[55, 0, 0], [3, 0, 0], [True, False, False]]
    """
    plain = [v if isinstance(v, str) and len(v) == 15 and v.isascii() and v.isdigit() else "000000000000000"
             for v in nirs.tolist()]  # 2A/2B: no month
    digits = np.array(plain, dtype="S15").view(np.uint8).reshape(-1, 15).astype(np.int16) - 48
    year = digits[:, 1] * 10 + digits[:, 2]
    month = digits[:, 3] * 10 + digits[:, 4]
    month = np.where((month >= 31) & (month <= 42), month - 30, month)
    return year, month, (month >= 1) & (month <= 12)


def nir_mask(value: object) -> str:
    """Show sex, year, month and département only.

    >>> nir_mask("212035912345678")
    '2 12 03 59 *** *** **'
    >>> nir_mask("2120"), nir_mask("1_14_05_59_705_805_05")
    ('****', '1 14 05 59 *** *** **')
    """
    text = _NOT_NIR_CHAR.sub("", _digits_text(value))
    if len(text) < 7:
        return "*" * len(text)
    return f"{text[0]} {text[1:3]} {text[3:5]} {text[5:7]} *** *** **"


# A run of digits, maybe spaced by any separator (underscores included), Corsica's 2A/2B inside; it never starts in
# the middle of another run nor in a bordereau number of the tool (HPV-595-590780102-20261123-1).
_SEP = r"[\s._\-/\u00a0\u202f]"
_NUMBER_RUN = re.compile(rf"(?<!\d)(?<!\d{_SEP})(?<!HPV-)\d(?:{_SEP}*(?:\d|(?<=2)[ABab]))+")
_NOT_NIR_CHAR = re.compile(r"[^\dABab]")


def _hide_run(match: re.Match) -> str:
    digits = _NOT_NIR_CHAR.sub("", match.group()).upper()
    nir_shaped = len(digits) >= 15 or (len(digits) >= 13 and digits[0] in "1278")  # 13: a NIR without its key
    return nir_mask(digits) if nir_shaped else match.group()


def hide_nirs(text: str) -> str:
    """Mask every NIR-shaped run: 15 digits or more, or 13 and 14 starting like a NIR (1, 2, 7, 8: a CIP13 starts
    with 3), spaced by any separator, glued to words or not. A NIR typed out of place must not reach an output.

    >>> hide_nirs("Code régime « 2 12 03 59 123 456 78 » inconnu")
    'Code régime « 2 12 03 59 *** *** ** » inconnu'
    >>> hide_nirs("« 212035912345678.0 »"), hide_nirs("code 3400930056202, 1 234,50 EUR")
    ('« 2 12 03 59 *** *** ** »', 'code 3400930056202, 1 234,50 EUR')
    >>> hide_nirs("« 2-14-09-59-471-976-22 »"), hide_nirs("« 2  14 10 59 739 822 09 »")
    ('« 2 14 09 59 *** *** ** »', '« 2 14 10 59 *** *** ** »')
    >>> hide_nirs("le 15/01/2027 (01/10/2026 au 31/10/2026), bordereau HPV-595-590780102-20261123-1")
    'le 15/01/2027 (01/10/2026 au 31/10/2026), bordereau HPV-595-590780102-20261123-1'
    >>> hide_nirs("NIR_2_14_07_59_138_900_65"), hide_nirs("Feuille 2140759138900"), hide_nirs("1 85 03 2A 123 456")
    ('NIR_2 14 07 59 *** *** **', 'Feuille 2 14 07 59 *** *** **', '1 85 03 2A *** *** **')
    >>> hide_nirs("élève２１４０７５９１３８９００６６")
    'élève2 14 07 59 *** *** **'
    """
    if not isinstance(text, str):
        return text
    return _NUMBER_RUN.sub(_hide_run, text)


def hide_all(value):
    """`hide_nirs` through every string of a JSON-like value (dicts, lists, tuples)."""
    if isinstance(value, str):
        return hide_nirs(value)
    if isinstance(value, dict):
        return {k: hide_all(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [hide_all(v) for v in value]
    return value


# -- CIP / UCD --------------------------------------------------------------------------------------------------


def vaccine_code_compact(value: object) -> str:
    """A CIP/UCD code typed with spaces or stored as a number.

    >>> vaccine_code_compact(3400930056202.0), vaccine_code_compact("3400 930 056 202")
    ('3400930056202', '3400930056202')
    """
    return _digits_text(value)


def vaccine_code_problem(value: str) -> str | None:
    """Check the form of a CIP/UCD code. A 7-digit code carries no reliable key: the tarifs decide.

    >>> vaccine_code_problem("3400930056202"), vaccine_code_problem("3005620")
    (None, None)
    >>> vaccine_code_problem("3400930056203")
    'clé EAN-13 incorrecte'
    >>> vaccine_code_problem("1234567890128")
    'un code à 13 chiffres commence par 34009 (CIP) ou 34008 (UCD)'
    >>> vaccine_code_problem("30056")
    '5 chiffres au lieu de 7 ou 13'
    """
    if not value.isdigit():
        return "le code ne doit contenir que des chiffres"
    if len(value) == 7:
        return None
    if len(value) != 13:
        return f"{len(value)} chiffres au lieu de 7 ou 13"
    if not value.startswith(("34009", "34008")):
        return "un code à 13 chiffres commence par 34009 (CIP) ou 34008 (UCD)"
    return None if ean.is_valid(value) else "clé EAN-13 incorrecte"
