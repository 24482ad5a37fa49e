"""Matching labels as people type them: without case, accents, spaces, punctuation or a trailing star."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=4096)
def norm_label(value: object) -> str:
    """Fold a header, label or coded value to lowercase ASCII letters and digits only.

    >>> norm_label("N° de sécurité\\nsociale *")
    'ndesecuritesociale'
    >>> norm_label("Prix unitaire TTC (€)")
    'prixunitairettc'
    """
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode("ascii").lower()
    return _NOT_ALNUM.sub("", text)


def clean_text(value: object) -> str | None:
    """A cell as trimmed text, None when empty.

    >>> clean_text("  Dupont "), clean_text(""), clean_text(None), clean_text(12.0)
    ('Dupont', None, None, '12')
    """
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None
