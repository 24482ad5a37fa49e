"""The rows an audit hands on: the rejection statement's (one per rejected line, with its motive) and the history's
(no name, no NIR: the beneficiary's keyed hash only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from bordereau.audit.lines import REJECTED, ordered
from bordereau.identifiers import hide_nirs, nir_mask
from bordereau.money import from_cents

if TYPE_CHECKING:
    from bordereau.audit.model import Audit


def line_number(ligne: object, row: int) -> int:
    """The line's « N° de ligne » when the sheet gives it as a number, else its Excel row (`reject` reads digits).

    >>> line_number("12", 21), line_number(None, 21), line_number("A3", 21)
    (12, 21, 21)
    """
    text = str(ligne) if isinstance(ligne, str | int) else ""
    return int(text) if text.isascii() and text.isdigit() else int(row)


def line_numbers(ligne: list, rows: list) -> list[int]:
    """`line_number` of each line, the « N° de ligne » check read as a number (a positive int, what the reader gives
    for a good one) taken as it is without going through its text.

    >>> line_numbers([12, None, "7", -3, True], [21, 22, 23, 24, 25])
    [12, 22, 7, 24, 25]
    """
    return [n if n.__class__ is int and n >= 0 else line_number(n, r) for n, r in zip(ligne, rows, strict=True)]


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
    observations) and their amount (at stake: claimed when rejected, accepted otherwise).

    Taken from the columns, without a pandas row per line; what depends on the findings touching a line (its main
    code, motive and cell) is worked out once per distinct set of findings (a bordereau seen before, or of a centre
    attached elsewhere, rejects every line for the same finding), a beneficiary's name once per person."""
    lines = audit.lines
    if not len(lines):
        return []
    severity, amount = ("error", "rejected") if verdict == REJECTED else ("warning", "accepted")
    chosen = lines["verdict"].eq(verdict).to_numpy()
    if not chosen.any():
        return []
    part = lines[chosen]
    why: dict[tuple, tuple[str, str, str]] = {}
    names: dict[tuple, str] = {}
    amounts: dict[int, object] = {}
    rows = []
    for i, number, ligne, row, nom, prenom, nir, path, cents in zip(
            part.index, part["bordereau"].tolist(), part["ligne"].tolist(), part["row"].tolist(), part["nom"].tolist(),
            part["prenom"].tolist(), part["nir"].tolist(), part["path"].tolist(), part[amount].tolist(), strict=True):
        touching = audit.touching[i]
        key = (tuple(map(id, touching)), tuple(f.row == row for f in touching))
        if (explained := why.get(key)) is None:
            found = [f for f in ordered(touching, int(row)) if f.severity == severity]
            main = found[0]
            explained = why[key] = (main.code, " ; ".join(dict.fromkeys(f.message for f in found)),
                                    f"{main.sheet}!{main.cell}" if main.cell else main.sheet or "")
        who = (nom, prenom, nir)
        if (name := names.get(who)) is None:
            name = names[who] = beneficiary(nom, prenom, nir)
        if (montant := amounts.get(cents := int(cents))) is None:
            montant = amounts[cents] = from_cents(cents)
        rows.append({"bordereau": number, "ligne": ligne if ligne.__class__ is int and ligne >= 0 else
                     line_number(ligne, row), "beneficiaire": name,
                     "code": explained[0], "motif": explained[1], "montant": montant, "fichier": path,
                     "cellule": explained[2]})
    return rows


def history_rows(audit: Audit) -> list[dict]:
    """What a history keeps of each line: no name, no NIR, the beneficiary's keyed hash only."""
    lines = audit.lines
    if lines.empty:
        return []
    keys = lines["beneficiaire_cle"] if "beneficiaire_cle" in lines else pd.Series(None, index=lines.index)
    vaccine = lines["cip13"].where(lines["cip13"].notna(), lines["code_vaccin"])
    return [{"bordereau": b, "ligne": line_number(n, r), "beneficiaire": k, "code_vaccin": v, "classe": c,
             "date_administration": None if pd.isna(d) else d.date(), "verdict": verdict, "codes": list(codes),
             "claimed": None if pd.isna(claimed) else int(claimed), "accepted": int(accepted)}
            for b, n, r, k, v, c, d, verdict, codes, claimed, accepted in zip(
                lines["bordereau"], lines["ligne"], lines["row"], keys, vaccine, lines["classe"],
                lines["date_administration"], lines["verdict"], lines["codes"], lines["claimed"],
                lines["accepted"], strict=True)]


KEPT = ("bordereau", "ligne", "beneficiaire", "code_vaccin", "classe", "date_administration", "verdict", "accepted")


def kept_columns(audit: Audit) -> dict[str, list]:
    """The history rows a history keeps, column by column (KEPT, plain Python values, None for nothing), built from
    the columns without a dictionary per line: those of `history_rows` that are not rejected, have a beneficiary and
    a date, and belong to a bordereau not audited again from the same file (`audit.reaudited`)."""
    lines = audit.lines
    if lines.empty or "beneficiaire_cle" not in lines:
        return {name: [] for name in KEPT}
    keys = lines["beneficiaire_cle"].astype(object).to_numpy()
    keyed = _texts(lines["beneficiaire_cle"], keys)
    keep = (keyed & lines["date_administration"].notna().to_numpy()
            & (lines["verdict"].to_numpy() != REJECTED) & ~lines["bordereau"].isin(audit.reaudited).to_numpy())
    part = lines.loc[keep, ["bordereau", "ligne", "row", "cip13", "code_vaccin", "classe", "date_administration",
                            "verdict", "accepted"]]  # not a copy of all of check's columns
    vaccine = part["cip13"].where(part["cip13"].notna(), part["code_vaccin"])
    return {"bordereau": _plain(part["bordereau"]),
            "ligne": line_numbers(part["ligne"].tolist(), part["row"].tolist()),
            "beneficiaire": keys[keep].tolist(), "code_vaccin": _plain(vaccine), "classe": _plain(part["classe"]),
            "date_administration": part["date_administration"].dt.date.tolist(),
            "verdict": part["verdict"].tolist(), "accepted": _ints(part["accepted"])}


def _texts(column: pd.Series, values: np.ndarray) -> np.ndarray:
    """Where `column` holds a text that is not empty: a string column's values are texts or missing, and are
    compared at once; any other column value by value."""
    if isinstance(column.dtype, pd.StringDtype):
        return (column.notna() & column.ne("")).to_numpy(dtype=bool)
    return np.array([isinstance(k, str) and k != "" for k in values], dtype=bool)


def _ints(column: pd.Series) -> list[int]:
    """A column of whole amounts as Python ints: an int64 column's own `tolist`, any other through `int`."""
    return column.tolist() if column.dtype == np.int64 else [int(a) for a in column.tolist()]


def _plain(column: pd.Series) -> list:
    """A column of text as Python values, None where pandas has nothing."""
    return column.astype(object).where(column.notna(), None).tolist()
