"""The CPAM's statement of refused lines: written by `audit --xlsx`, read by `reject`.

One row per refused line; the columns are found by their headers, like a bordereau's.
"""

from __future__ import annotations

# canonical key -> (header written, headers accepted when reading)
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "bordereau": ("N° de bordereau", ("N° de bordereau", "Numéro de bordereau", "Bordereau")),
    "ligne": ("N° de ligne", ("N° de ligne", "Ligne", "N° ligne")),
    "beneficiaire": ("Bénéficiaire", ("Bénéficiaire", "Bénéficiaire (masqué)")),
    "code": ("Code", ("Code", "Code anomalie")),
    "motif": ("Motif", ("Motif", "Motif du rejet", "Raison")),
    "montant": ("Montant refusé", ("Montant refusé", "Montant", "Montant rejeté")),
}
SHEET = "Rejets"
