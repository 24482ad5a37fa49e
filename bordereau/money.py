"""Money: exact Decimal amounts, one rounding helper, French formatting.

Money is never a float. Workbooks give prices as floats or French text; `parse_amount` turns both into a
two-decimal Decimal without float artefacts, and says when it cannot.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

LIMIT = Decimal(10) ** 15  # far beyond any amount of any bordereau; past it an amount is not read (nor rounded)
LINE_LIMIT = Decimal(1_000_000)  # no line of a bordereau comes near it; past it an amount is a typo, not money
_SPACES = re.compile(r"[\s\u00a0\u202f]+")


def round_half_up(value: Decimal) -> Decimal:
    """Round to the cent, half away from zero.

    >>> round_half_up(Decimal("64.025"))
    Decimal('64.03')
    >>> round_half_up(Decimal("64.0249"))
    Decimal('64.02')
    """
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_amount(value: object) -> Decimal | None:
    """Read an amount from a cell: a number or French text such as ``116,86 €``.

    Returns None when the cell does not hold an amount with at most two decimals.

    >>> parse_amount("1 116,86 €"), parse_amount(98.5), parse_amount(274.65999999999997)
    (Decimal('1116.86'), Decimal('98.50'), Decimal('274.66'))
    >>> parse_amount("98,505") is None, parse_amount("abc") is None, parse_amount(True) is None
    (True, True, True)
    >>> parse_amount(1e308) is None, parse_amount(10**30) is None, parse_amount("1" * 40) is None
    (True, True, True)
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return Decimal(value).quantize(CENT) if abs(value) < LIMIT else None
    if isinstance(value, float):
        if value != value or not abs(value) < LIMIT:
            return None
        # repr gives the shortest decimal that round-trips: 274.65999999999997 stays that, 116.86 stays 116.86.
        exact = Decimal(repr(value))
        rounded = exact.quantize(CENT, rounding=ROUND_HALF_UP)
        # a float that is a cent amount up to binary noise (< 1e-6 EUR) is that amount
        return rounded if abs(exact - rounded) < Decimal("0.000001") else None
    text = _SPACES.sub("", str(value)).replace("€", "").replace("EUR", "").replace("eur", "")
    text = text.replace(",", ".")
    if not re.fullmatch(r"-?\d{1,15}(\.\d{1,2})?", text):
        return None
    try:
        return Decimal(text).quantize(CENT)
    except InvalidOperation:  # pragma: no cover - the regex already guards this
        return None


def to_cents(amount: Decimal) -> int:
    """Whole cents of an amount.

    >>> to_cents(Decimal("116.86"))
    11686
    """
    return int(amount * 100)


def from_cents(cents: int) -> Decimal:
    """An amount from whole cents.

    >>> from_cents(11686)
    Decimal('116.86')
    """
    return (Decimal(int(cents)) / 100).quantize(CENT)


def format_eur(amount: Decimal) -> str:
    """French money format with a narrow no-break space as thousands separator.

    >>> format_eur(Decimal("1234.5"))
    '1\u202f234,50 EUR'
    >>> format_eur(Decimal("-3.00"))
    '-3,00 EUR'
    """
    sign = "-" if amount < 0 else ""
    units, cents = f"{abs(amount).quantize(CENT):.2f}".split(".")
    groups = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    return f"{sign}{chr(0x202F).join(groups)},{cents} EUR"


def as_json(amount: Decimal) -> str:
    """Two-decimal string for the JSON documents.

    >>> as_json(Decimal("3"))
    '3.00'
    """
    return f"{amount.quantize(CENT):.2f}"
