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
from typing import TYPE_CHECKING

import pandas as pd

from ..audit_lines import REJECTED, ordered
from ..identifiers import hide_nirs, nir_mask
from ..money import as_json, from_cents

if TYPE_CHECKING:
    from ..audit import Audit, Summary


def _strings(cents: pd.Series) -> list[str | None]:
    """Two-decimal strings of amounts in cents (None where missing), formatted once per distinct value."""
    values = [None if v is pd.NA else int(v) for v in cents.astype(object).tolist()]
    shown = {v: as_json(from_cents(v)) for v in set(values) if v is not None}
    return [None if v is None else shown[v] for v in values]


def _line_number(ligne: object, row: int) -> int:
    """The line's « N° de ligne » when the sheet gives it as a number, else its Excel row (`reject` reads digits).

    >>> _line_number("12", 21), _line_number(None, 21), _line_number("A3", 21)
    (12, 21, 21)
    """
    text = str(ligne) if isinstance(ligne, str | int) else ""
    return int(text) if text.isascii() and text.isdigit() else int(row)


def beneficiary(nom: object, prenom: object, nir: object) -> str:
    """How the statement names a beneficiary: last name, initial, masked NIR.

    >>> beneficiary("DUPONT", "Emma", "214075913890066")
    'DUPONT E. (2 14 07 59 *** *** **)'
    """
    parts = [str(nom) if isinstance(nom, str) else "", f"{prenom[0]}." if isinstance(prenom, str) and prenom else ""]
    name = " ".join(p for p in parts if p)
    return hide_nirs(f"{name} ({nir_mask(nir)})" if isinstance(nir, str) and nir else name)


def rejections(audit: Audit) -> list[dict]:
    """One row per rejected line: the columns of bordereau/rejections.py, then the file and the cell."""
    return statement_rows(audit, REJECTED)


def statement_rows(audit: Audit, verdict: str) -> list[dict]:
    """The lines of one verdict with the messages that explain it (errors for rejected lines, warnings for
    observations) and their amount (at stake: claimed when rejected, accepted otherwise)."""
    lines = audit.lines
    severity, amount = ("error", "rejected") if verdict == REJECTED else ("warning", "accepted")
    rows = []
    for i in lines.index[lines["verdict"].eq(verdict)] if len(lines) else []:
        line = lines.loc[i]
        found = [f for f in ordered(audit.touching[i], int(line["row"])) if f.severity == severity]
        main = found[0]
        rows.append({
            "bordereau": line["bordereau"], "ligne": _line_number(line["ligne"], line["row"]),
            "beneficiaire": beneficiary(line["nom"], line["prenom"], line["nir"]),
            "code": main.code, "motif": " ; ".join(dict.fromkeys(f.message for f in found)),
            "montant": from_cents(int(line[amount])), "fichier": line["path"],
            "cellule": f"{main.sheet}!{main.cell}" if main.cell else main.sheet or "",
        })
    return rows


def history_rows(audit: Audit) -> list[dict]:
    """What a history keeps of each line: no name, no NIR, the beneficiary's keyed hash only."""
    lines = audit.lines
    if lines.empty:
        return []
    keys = lines["beneficiaire_cle"] if "beneficiaire_cle" in lines else pd.Series(None, index=lines.index)
    vaccine = lines["cip13"].where(lines["cip13"].notna(), lines["code_vaccin"])
    return [{"bordereau": b, "ligne": _line_number(n, r), "beneficiaire": k, "code_vaccin": v, "classe": c,
             "date_administration": None if pd.isna(d) else d.date(), "verdict": verdict, "codes": list(codes),
             "claimed": None if pd.isna(claimed) else int(claimed), "accepted": int(accepted)}
            for b, n, r, k, v, c, d, verdict, codes, claimed, accepted in zip(
                lines["bordereau"], lines["ligne"], lines["row"], keys, vaccine, lines["classe"],
                lines["date_administration"], lines["verdict"], lines["codes"], lines["claimed"],
                lines["accepted"], strict=True)]


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
    numbers = [_line_number(n, r) for n, r in zip(lines["ligne"].tolist(), lines["row"].tolist(), strict=True)]
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
    """The lines as compact JSON objects, written from the columns: the same as `_lines` gives, faster, each distinct
    value being encoded once."""
    if audit.lines.empty:
        return []
    columns = _line_columns(audit.lines)
    columns[7] = [tuple(c) for c in columns[7]]
    texts = []
    for column in columns:
        if all(type(v) is int for v in column):  # row, ligne: one value per line, nothing to escape
            texts.append(list(map(str, column)))
            continue
        encoded = {v: json.dumps(list(v) if isinstance(v, tuple) else v, ensure_ascii=False) for v in set(column)}
        texts.append([encoded[v] for v in column])
    template = "{{" + ",".join(f'"{name}":{{}}' for name in FIELDS) + "}}"
    return [template.format(*values) for values in zip(*texts, strict=True)]


def audit_json(audit: Audit, lines: bool = True) -> dict:
    return {
        "today": audit.today.isoformat(), "cpam": audit.cpam,
        "total": {**audit.total.as_json(), "explanations": [e.as_json() for e in audit.explanations]},
        "bordereaux": [_summary(s, True) for s in audit.bordereaux],
        "centres": [_summary(s, False) for s in audit.centres],
        "lines": _lines(audit) if lines else [],
        "rejections": [{**r, "montant": as_json(r["montant"])} for r in audit.rejections()],
        "unread": [f.as_dict() for f in audit.unread],
        "findings": [f.as_dict() for f in audit.findings],
    }


def dumps(audit: Audit) -> str:
    """The JSON document as text: indented, except the lines, one compact object per text line."""
    marker = "\u0000lines\u0000"
    head = json.dumps({**audit_json(audit, lines=False), "lines": marker}, ensure_ascii=False, indent=1)
    texts = _line_texts(audit)
    return head.replace(json.dumps(marker), "[\n  " + ",\n  ".join(texts) + "\n ]" if texts else "[]", 1)
