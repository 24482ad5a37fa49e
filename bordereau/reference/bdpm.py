"""Public prices from the official source: `bordereau tarifs importer CIS_CIP_bdpm.txt`.

The BDPM file of presentations is tab-separated, without header, in UTF-8 or Windows-1252 (detected). Its columns are
those of the official file (CIS, CIP7, libellé, statut, état de commercialisation, date de déclaration, CIP13,
agrément aux collectivités, taux, prix hors honoraire, prix TTC avec honoraire, honoraire, ...) or, shorter, those of
`../shared/reference/vaccins_bdpm_prices.tsv` without its snapshot and source (CIS, CIP7, CIP13, agrément, taux,
prix hors honoraire, prix TTC, honoraire).

For the vaccines whose CIS `tarifs/vaccins.yaml` lists, every price that differs from the one in force on the import
day becomes a dated observation with its source in `tarifs/prix_bdpm.yaml`, and a presentation not yet known is added
there with its price. Nothing is ever removed: a price observed earlier stays in force for the days before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from bordereau.errors import UsageError, os_cause
from bordereau.files import atomic_path
from bordereau.identifiers import vaccine_code_problem
from bordereau.reference.data import Reference
from bordereau.reference.resources import shipped_dir

OBSERVATIONS = "tarifs/prix_bdpm.yaml"
HEADER = ("# Prix publics TTC observés dans la BDPM (CIS_CIP_bdpm.txt), ajoutés par `bordereau tarifs importer` :\n"
          "# une entrée par prix nouveau ou par présentation nouvelle, datée, avec sa source. Ne rien y effacer.\n")


@dataclass(frozen=True)
class Row:
    cis: str
    cip7: str
    cip13: str
    price: Decimal | None


@dataclass(frozen=True)
class Change:
    vaccine: str
    cip13: str
    before: Decimal | None  # the price in force that day; None for a new presentation
    after: Decimal

    def describe(self) -> str:
        if self.before is None:
            return f"{self.vaccine} : nouvelle présentation {self.cip13}, prix public {self.after} EUR"
        return f"{self.vaccine} ({self.cip13}) : prix public {self.before} EUR -> {self.after} EUR"


def decode(data: bytes) -> tuple[str, str]:
    """The text of the file and its encoding: UTF-8 when it decodes as such, else Windows-1252 (the BDPM's own).

    >>> decode("Vaccin é".encode("cp1252"))
    ('Vaccin é', 'windows-1252')
    """
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "windows-1252"


def _price(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip().replace("\u00a0", "").replace(" ", "").replace(",", "."))
    except InvalidOperation:
        return None
    return value.quantize(Decimal("0.01")) if value.is_finite() and value > 0 else None


def read_rows(text: str) -> list[Row]:
    rows = []
    for line in text.splitlines():
        cells = line.split("\t")
        if len(cells) >= 12:  # the official layout
            cis, cip7, cip13, ttc = cells[0], cells[1], cells[6], cells[10]
        elif len(cells) == 8:  # the reference .tsv's columns without snapshot and source
            cis, cip7, cip13, ttc = cells[0], cells[1], cells[2], cells[6]
        else:
            continue
        cis, cip7, cip13 = cis.strip(), cip7.strip(), cip13.strip()
        if cis.isdigit() and not vaccine_code_problem(cip13) and len(cip13) == 13:
            rows.append(Row(cis, cip7, cip13, _price(ttc)))
    return rows


def plan_import(ref: Reference, path: Path, day: dt.date) -> tuple[list[Change], list[dict], str]:
    """What importing `path` on `day` changes: the changes, the observations to append, the encoding read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path} : {os_cause(exc, reading=True)}") from None  # exc.strerror is English
    text, encoding = decode(data)
    source = f"BDPM {path.name} importé le {day:%d/%m/%Y} (SHA-256 {hashlib.sha256(data).hexdigest()[:12]})"
    by_cis = {cis: v for v in ref.vaccines for cis in v.cis}
    changes, observations = [], []
    rows = read_rows(text)
    if not rows:  # another file than the BDPM's: « 0 changement(s) » would let the user believe prices are current
        raise UsageError(f"{path} : aucune ligne de la BDPM reconnue (le fichier attendu est CIS_CIP_bdpm.txt, "
                         "téléchargé sur base-donnees-publique.medicaments.gouv.fr) ; rien n'a été importé")
    for row in rows:
        vaccine = by_cis.get(row.cis)
        if vaccine is None or row.price is None:
            continue
        presentation = ref.presentation_by_code.get(row.cip13)
        current = presentation.public_price.at(day) if presentation else None
        if current is not None and current.value == row.price:
            continue
        if presentation is not None and any(e.start == day for e in presentation.public_price.entries):
            continue  # already observed that day (a file imported twice the same day keeps its first reading)
        changes.append(Change(vaccine.nom, row.cip13, current.value if current else None, row.price))
        observations.append({"cis": row.cis, "cip13": row.cip13, "cip7": row.cip7, "du": day,
                             "valeur": f"{row.price}", "source": source})
    return changes, observations, encoding


def write_observations(folder: Path, observations: list[dict]) -> None:
    """Append observations to tarifs/prix_bdpm.yaml (written atomically; earlier ones kept as they are). The example
    copy installed inside the package is never written: the Département's own copy is (`bordereau init`)."""
    shipped = shipped_dir()
    if shipped.name == "_data" and Path(folder).resolve() == shipped.resolve():
        raise UsageError("les données de référence livrées avec l'outil ne se modifient pas : faites-en une copie "
                         "(bordereau init DOSSIER) et importez-y (--ref DOSSIER ou $BORDEREAU_REF)")
    target = folder / OBSERVATIONS
    earlier = (yaml.safe_load(target.read_text(encoding="utf-8")) or {}).get("observations", []) \
        if target.exists() else []
    body = yaml.safe_dump({"observations": [*earlier, *observations]}, allow_unicode=True, sort_keys=False)
    with atomic_path(target) as temp:
        temp.write_text(HEADER + body, encoding="utf-8")
