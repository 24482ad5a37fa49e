"""Finding the bordereau in a sheet: the header block (centre, FINESS, period), the table's header row, its columns
and its dose rows. Labels are matched with `norm_label` (no case, accents, spaces, punctuation or trailing star)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from operator import itemgetter

from bordereau.read.workbook import RawSheet
from bordereau.text import clean_text, norm_label

HEADER_SEARCH_ROWS = 40
MONEY_COLUMNS = ("prix_unitaire", "montant_amo", "montant_complementaire", "montant_total")
MIN_HEADER_KEYS = 4

# canonical key -> (French label used in messages, required?, accepted labels)
COLUMNS: dict[str, tuple[str, bool, tuple[str, ...]]] = {
    "ligne": ("N° de ligne", False, ("N° de ligne", "N° ligne", "Ligne", "N°")),
    "nom": ("Nom", True, ("Nom", "Nom du bénéficiaire", "Nom de naissance", "Nom d'usage", "Nom de l'élève")),
    "prenom": ("Prénom", True, ("Prénom", "Prénom du bénéficiaire", "Prénom de l'élève")),
    "nir": ("NIR", True, ("NIR", "N° de sécurité sociale", "Numéro de sécurité sociale", "N° INSEE",
                          "Numéro INSEE", "NIR du bénéficiaire", "N° SS", "NSS")),
    "date_naissance": ("Date de naissance", True, ("Date de naissance", "Né(e) le")),
    "code_regime": ("Code régime", True, ("Code régime", "Régime", "Grand régime")),
    "prise_en_charge": ("Prise en charge", True, (
        "Prise en charge", "Situation", "Nature d'assurance / exonération", "Nature d'assurance ou exonération",
        "Conditions de prise en charge", "Couverture")),
    "vaccin": ("Vaccin", True, ("Vaccin", "Nom du vaccin", "Nom commercial")),
    "code_vaccin": ("Code CIP/UCD", True, ("Code CIP/UCD", "Code CIP", "CIP", "UCD", "CIP13", "Code UCD",
                                           "CIP/UCD", "Code CIP13")),
    "date_administration": ("Date d'administration", True, (
        "Date d'administration", "Date de vaccination", "Date d'injection", "Date de l'injection")),
    "dose": ("N° de dose", False, ("N° de dose", "Dose", "Rang de la dose", "Rang")),
    "prix_unitaire": ("Prix unitaire TTC", True, ("Prix unitaire TTC", "Prix unitaire facturé TTC",
                                                  "Prix unitaire", "Prix TTC")),
    "montant_amo": ("Montant AMO", False, ("Montant AMO", "Part obligatoire", "Montant à rembourser AMO")),
    "montant_complementaire": ("Montant AMC", False, ("Montant AMC", "Part complémentaire",
                                                       "Montant complémentaire")),
    "montant_total": ("Montant total", False, ("Montant total à rembourser", "Total AMO + AMC", "Montant total",
                                               "Total à rembourser")),
    "finess_juridique": ("FINESS juridique", False, ("FINESS juridique", "FINESS EJ", "N° FINESS juridique")),
    "finess_geographique": ("FINESS géographique", False, ("FINESS géographique", "FINESS ET",
                                                           "N° FINESS géographique")),
}

# header block: label -> key
_BLOCK_LABELS = {
    "centredevaccination": "centre", "centre": "centre", "centredevaccinationsps": "centre",
    "finessjuridique": "finess_juridique", "finessej": "finess_juridique",
    "finessgeographique": "finess_geographique", "finesset": "finess_geographique",
    "periodedu": "periode_debut", "du": "periode_debut", "au": "periode_fin",
    "cpam": "cpam", "numerodebordereau": "numero", "bordereau": "numero", "ndebordereau": "numero",
}


def column_letter(index: int) -> str:
    """0-based column index to its A1 letters.

    >>> column_letter(0), column_letter(25), column_letter(26), column_letter(701)
    ('A', 'Z', 'AA', 'ZZ')
    """
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass(frozen=True)
class Column:
    key: str
    index: int
    header: str  # as the user wrote it

    @property
    def letter(self) -> str:
        return column_letter(self.index)


@dataclass
class Table:
    """One bordereau found in a sheet."""

    sheet: str
    header_row: int  # Excel row number of the column headers
    columns: dict[str, Column]
    block: dict[str, tuple[object, str]]  # key -> (value, A1 cell) from the header block
    rows: list[list] = field(default_factory=list)  # dose rows, raw values
    row_numbers: list[int] = field(default_factory=list)  # their Excel row numbers
    totals_row: list | None = None  # the row of totals under the table, raw values, when there is one
    totals_row_number: int | None = None
    gap: tuple[int, int] | None = None  # (Excel row of the empty row, dose-like rows after it) when some follow
    cells: object = field(default=None, repr=False)  # the dose rows as one 2-D object array, when find_table made it

    def cell(self, key: str, row: int) -> str | None:
        column = self.columns.get(key)
        return f"{column.letter}{row}" if column else None


def label_index(labels: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """{normalised label: key} for a table of accepted labels."""
    return {norm_label(label): key for key, accepted in labels.items() for label in accepted}


_COLUMN_BY_LABEL = label_index({key: labels for key, (_, _, labels) in COLUMNS.items()})


def _match_columns(row: list, by_label: dict[str, str]) -> dict[str, Column]:
    found: dict[str, Column] = {}
    for index, value in enumerate(row):
        text = clean_text(value)
        if text is None:
            continue
        key = by_label.get(norm_label(text))
        if key and key not in found:
            found[key] = Column(key, index, text.replace("\n", " "))
    return found


def find_header(rows: list[list], by_label: dict[str, str], min_keys: int,
                search: int = HEADER_SEARCH_ROWS) -> tuple[int, dict[str, Column]] | None:
    """The 0-based index of the row, among the first `search`, that names the most known columns, and its columns;
    None when no row names `min_keys` of them."""
    best, best_index = {}, -1
    for index, row in enumerate(rows[:search]):
        columns = _match_columns(row, by_label)
        if len(columns) > len(best):
            best, best_index = columns, index
    return (best_index, best) if len(best) >= min_keys else None


def _read_block(rows: list[list]) -> dict[str, tuple[object, str]]:
    block: dict[str, tuple[object, str]] = {}
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if not isinstance(value, str):
                continue
            key = _BLOCK_LABELS.get(norm_label(value))
            if key is None or key in block:
                continue
            for c2 in range(c + 1, len(row)):
                if clean_text(row[c2]) is not None:
                    block[key] = (row[c2], f"{column_letter(c2)}{r + 1}")
                    break
    return block


def _is_empty(row: list) -> bool:
    return all(v == "" or v is None or (isinstance(v, str) and not v.strip()) for v in row)


def _is_totals(row: list, identity: list[int], amounts: list[int]) -> bool:
    """A row with no beneficiary nor date, and a cell that starts with « Total » or only sums under the amounts."""
    if any(clean_text(row[i]) for i in identity if i < len(row)):
        return False
    if any(isinstance(v, str) and norm_label(v).startswith(("total", "soustotal")) for v in row):
        return True
    filled = [i for i, v in enumerate(row) if clean_text(v) is not None]
    return bool(filled) and all(i in amounts for i in filled)


def find_table(sheet: RawSheet) -> Table | None:
    """The bordereau of a sheet, or None when no header row is recognised in its first 40 rows."""
    found = find_header(sheet.rows, _COLUMN_BY_LABEL, MIN_HEADER_KEYS)
    if found is None:
        return None
    best_index, best = found
    table = Table(sheet.name, best_index + 1, best, _read_block(sheet.rows[:best_index]))
    identity = [best[k].index for k in ("nir", "date_naissance", "date_administration") if k in best]
    amounts = [best[k].index for k in MONEY_COLUMNS if k in best]
    start, cells = best_index + 1, _cells_after(sheet.rows, best_index + 1, best, identity)
    if cells is None:
        _dose_rows(table, sheet.rows, start, identity, amounts)
        return table
    import numpy as np

    # the rows with an empty identity cell, found by numpy: every other row is a dose line (the exact loop's common
    # case); on those, the exact tests, in order, say where the table ends
    missing = np.zeros(len(cells), dtype=bool)
    for i in identity:  # column by column: a third faster than comparing a copy of the three
        missing |= cells[:, i] == ""
    stop = len(sheet.rows)
    for at in np.flatnonzero(missing).tolist():
        if _ends_table(table, sheet.rows, start + at, identity, amounts):
            stop = start + at
            break
    table.rows, table.row_numbers = sheet.rows[start:stop], list(range(start + 1, stop + 1))
    table.cells = cells[:stop - start]
    return table


def _cells_after(rows: list[list], start: int, columns: dict[str, Column], identity: list[int]):
    """The rows from `start` as one 2-D object array (numpy's fromiter over the chained rows, never looking into a
    cell), shared with `cells.columns_of`; None when the rows have unequal lengths, the sheet is much wider than the
    table (its columns are then taken one by one) or an identity column lies beyond the rows."""
    import numpy as np

    after = rows[start:]
    width = len(after[0]) if after else 0
    if not after or width > 2 * len(columns) or any(i >= width for i in identity):
        return None
    if set(map(len, after)) != {width}:
        return None
    cells = np.fromiter(itertools.chain.from_iterable(after), dtype=object, count=len(after) * width)
    return cells.reshape(len(after), width)


def _ends_table(table: Table, rows: list[list], index: int, identity: list[int], amounts: list[int]) -> bool:
    """Whether row `index`, which lacks an identity cell, ends the table: an empty row (the doses after it, if any,
    are counted in `table.gap`) or a row of totals (kept in `table.totals_row`)."""
    row = rows[index]
    if _is_empty(row):
        after = sum(1 for later in rows[index + 1:]
                    if any(later[i] not in ("", None) for i in identity if i < len(later)))
        table.gap = (index + 1, after) if after else None
        return True
    if _is_totals(row, identity, amounts):
        table.totals_row, table.totals_row_number = row, index + 1
        return True
    return False


def _dose_rows(table: Table, rows: list[list], start: int, identity: list[int], amounts: list[int]) -> None:
    """The exact path, row by row: the dose rows from `start` to an empty row or a row of totals."""
    identity_of = itemgetter(*identity) if len(identity) > 1 else lambda row: tuple(row[i] for i in identity)
    for index in range(start, len(rows)):
        row = rows[index]
        has_identity = "" not in identity_of(row)  # the common case: a dose line, no more to test
        if not has_identity and _ends_table(table, rows, index, identity, amounts):
            break
        table.rows.append(row)
        table.row_numbers.append(index + 1)
