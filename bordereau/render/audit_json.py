"""An audit as data: the JSON document of `audit --json`, the rows of the rejection statement, and the rows a
history records. Amounts are two-decimal strings in JSON; no NIR ever appears but masked.

The JSON document:

    {"today": "2026-11-23", "cpam": "595" or null,
     "total": {<amounts>, "explanations": [<explanation>...]},
     "bordereaux": [{"number", "path", "sheet", "centre", "finess_geographique", "cpam", <amounts>,
                     "claimed_total_row", "explanations", "findings"}],
     "centres": [{"finess_geographique", "centre", "cpam", "bordereaux", <amounts>, "explanations"}],
     "lines": [{"bordereau", "path", "sheet", "row", "ligne", "verdict", "code", "codes",
                "claimed", "recomputed", "accepted", "rejected"}],
     "rejections": [{"bordereau", "ligne", "beneficiaire", "code", "motif", "montant", "fichier", "cellule"}],
     "unread": [<finding>], "findings": [<finding>]}

<amounts> = "lines", "accepted_lines", "observation_lines", "rejected_lines" (counts) and "claimed",
"recomputed", "accepted", "rejected" (amounts); <explanation> = "code", "title", "lines", "amount", "text".
"""

from __future__ import annotations

import contextlib
import gc
import json
from collections.abc import Iterator
from json.encoder import encode_basestring
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from bordereau.audit.model import SUMS
from bordereau.audit.rows import line_numbers, rejections
from bordereau.money import as_json, from_cents

if TYPE_CHECKING:
    from bordereau.audit.model import Audit, Summary


def _strings(cents: pd.Series) -> list[str | None]:
    """Two-decimal strings of amounts in cents (None where missing), formatted once per distinct value."""
    values = [None if v is pd.NA else int(v) for v in cents.astype(object).tolist()]
    shown = {v: as_json(from_cents(v)) for v in set(values) if v is not None}
    return [None if v is None else shown[v] for v in values]


def _summary(s: Summary, bordereau: bool) -> dict:
    head = ({"number": s.number, "path": s.path, "sheet": s.sheet} if bordereau
            else {"finess_geographique": s.finess_geographique})
    head |= {"centre": s.centre, "cpam": s.cpam}
    if bordereau:
        head["finess_geographique"] = s.finess_geographique
    else:
        head["bordereaux"] = s.bordereaux
    out = {**head, **s.amounts.as_json()}
    if bordereau:
        out["claimed_total_row"] = None if s.claimed_total_row is None else as_json(s.claimed_total_row)
    out["explanations"] = [e.as_json() for e in s.explanations]
    if bordereau:
        out["findings"] = [f.as_dict() for f in s.findings]
    return out


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Build 100,000 small dicts without the cyclic garbage collector scanning them again and again (a third of the
    time); they hold no cycle."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


FIELDS = ("bordereau", "path", "sheet", "row", "ligne", "verdict", "code", "codes", "claimed", "recomputed",
          "accepted", "rejected")


def _line_columns(lines: pd.DataFrame) -> list[list]:
    """The values of FIELDS, column by column."""
    numbers = line_numbers(lines["ligne"].tolist(), lines["row"].tolist())
    return [lines["bordereau"].tolist(), lines["path"].tolist(), lines["sheet"].tolist(),
            [int(r) for r in lines["row"].tolist()], numbers, lines["verdict"].tolist(),
            [c if isinstance(c, str) else None for c in lines["code"].tolist()], lines["codes"].tolist(),
            *(_strings(lines[k]) for k in ("claimed", "recomputed", "accepted", "rejected"))]


def _lines(audit: Audit) -> list[dict]:
    if audit.lines.empty:
        return []
    with _gc_paused():
        none: list[str] = []  # one empty list shared by the lines without a code (read only)
        columns = _line_columns(audit.lines)
        columns[7] = [list(c) if c else none for c in columns[7]]
        return [dict(zip(FIELDS, values, strict=True)) for values in zip(*columns, strict=True)]


def _line_texts(audit: Audit) -> list[str]:
    """The lines as compact JSON objects, the same as `_lines` gives, written from the columns: a line is the text of
    its bordereau, file and sheet, its row and number, then the text of its verdict, codes and amounts; the texts
    before and after the numbers are written once per distinct combination of their values (a few hundred)."""
    lines = audit.lines
    if lines.empty:
        return []
    head = _combined(lines, ("bordereau", "path", "sheet"), lambda p: "{" + ",".join(
        f'"{k}":{json.dumps(lines[k].iat[p], ensure_ascii=False)}' for k in ("bordereau", "path", "sheet")) + ",")
    tail = _combined(lines, ("verdict", "code", "codes", *SUMS), lambda p: "," + ",".join(
        f'"{k}":{json.dumps(_shown(k, lines[k].iat[p]), ensure_ascii=False)}'
        for k in ("verdict", "code", "codes", *SUMS)) + "}")
    rows = [int(r) for r in lines["row"].tolist()]
    numbers = line_numbers(lines["ligne"].tolist(), rows)
    return [f'{h}"row":{r},"ligne":{n}{t}' for h, r, n, t in zip(head, rows, numbers, tail, strict=True)]


def _shown(column: str, value: object) -> object:
    """A value of `column` as `_lines` shows it."""
    if column == "code":
        return value if isinstance(value, str) else None
    if column == "codes":
        return list(value)
    if column in SUMS:
        return None if value is pd.NA or value is None else as_json(from_cents(int(value)))
    return value


def _combined(lines: pd.DataFrame, columns: tuple[str, ...], text) -> list[str]:
    """`text(position)` for each line, called once per distinct combination of the values of `columns` (the first
    line of each combination)."""
    key = np.zeros(len(lines), dtype=np.int64)
    for column in columns:
        codes, uniques = pd.factorize(lines[column].to_numpy(), use_na_sentinel=True)
        key, _ = pd.factorize(key * (len(uniques) + 1) + (codes + 1))  # stays below lines x values: no overflow
    distinct, first = np.unique(key, return_index=True)
    texts = np.empty(len(distinct), dtype=object)
    texts[distinct] = [text(int(p)) for p in first]
    return texts[key].tolist()


def _rejections(audit: Audit) -> list[dict]:
    """The statement's rows, amounts as JSON text (each distinct amount formatted once)."""
    shown: dict = {}
    out = []
    for row in rejections(audit):
        if (text := shown.get(amount := row["montant"])) is None:
            text = shown[amount] = as_json(amount)
        out.append({**row, "montant": text})
    return out


def audit_json(audit: Audit, lines: bool = True) -> dict:
    return {
        "today": audit.today.isoformat(), "cpam": audit.cpam,
        "total": {**audit.total.as_json(), "explanations": [e.as_json() for e in audit.explanations]},
        "bordereaux": [_summary(s, True) for s in audit.bordereaux],
        "centres": [_summary(s, False) for s in audit.centres],
        "lines": _lines(audit) if lines else [],
        "rejections": _rejections(audit),
        "unread": [f.as_dict() for f in audit.unread],
        "findings": [f.as_dict() for f in audit.findings],
    }


_TAIL = ("lines", "rejections", "unread", "findings")  # the document's last keys, in its order


def dumps(audit: Audit) -> str:
    """The JSON document as text: indented, except the lines, one compact object per text line.

    Byte for byte `json.dumps(document, ensure_ascii=False, indent=1)` but the lines: with an indent, `json.dumps`
    runs its pure-Python encoder, which takes seconds over 100,000 rejections and findings (a bordereau audited for
    another caisse rejects each line). The head goes through it; the lists of flat objects at the end are written
    column by column (`_objects`), each distinct text encoded once."""
    document = audit_json(audit, lines=False)
    head = json.dumps({k: v for k, v in document.items() if k not in _TAIL}, ensure_ascii=False, indent=1)
    parts = [head[:-2], ',\n "lines": ']
    texts = _line_texts(audit)
    if texts:  # the lines' texts and their separators, copied once into the document (100,000 lines: 50 MiB)
        between = [",\n  "] * (2 * len(texts) - 1)
        between[::2] = texts
        parts += ["[\n  ", *between, "\n ]"]
    else:
        parts.append("[]")
    parts += [f',\n "{key}": {_list_text(document[key])}' for key in _TAIL[1:]]
    parts.append("\n}")
    return "".join(parts)


def _list_text(items: list) -> str:
    """`json.dumps(items, ensure_ascii=False, indent=1)` as written as the value of a key of the document."""
    if not items:
        return "[]"
    objects = _objects(items)
    if objects is None:  # anything else than flat objects alike: json.dumps itself, one level deeper
        return json.dumps(items, ensure_ascii=False, indent=1).replace("\n", "\n ")
    return "[\n  " + ",\n  ".join(objects) + "\n ]"


_SCALARS = frozenset({str, int, bool, type(None)})
_LITERALS = {None: "null", True: "true", False: "false"}


def _objects(items: list) -> list[str] | None:
    """Each of `items` as indented JSON two levels deep, when all are non-empty dicts with the same keys in the same
    order and only texts, integers, booleans and null as values; else None."""
    first = items[0]
    if type(first) is not dict or not first or not all(type(k) is str for k in first):
        return None
    keys = tuple(first)
    if not all(type(item) is dict and tuple(item) == keys for item in items):
        return None
    columns = []
    for key in keys:
        values = [item[key] for item in items]
        kinds = set(map(type, values))
        if not kinds <= _SCALARS:
            return None
        prefix = encode_basestring(key) + ": "
        if bool in kinds and int in kinds:  # True == 1: no table of distinct values
            columns.append([prefix + _scalar(v) for v in values])
            continue
        shown = {v: prefix + _scalar(v) for v in dict.fromkeys(values)}
        columns.append([shown[v] for v in values])
    return ["{\n   " + ",\n   ".join(parts) + "\n  }" for parts in zip(*columns, strict=True)]


def _scalar(value: object) -> str:
    if type(value) is str:
        return encode_basestring(value)
    if type(value) is int:
        return int.__repr__(value)
    return _LITERALS[value]
