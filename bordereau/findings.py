"""Findings: frozen records with stable codes; severities and French messages come from one table.

Messages are templates filled with keyword arguments; none of them may receive a full NIR.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields
from enum import StrEnum

from bordereau.identifiers import hide_all, hide_nirs


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


E, W = Severity.ERROR, Severity.WARNING

# code -> (severity, French title, message template)
CODES: dict[str, tuple[Severity, str, str]] = {
    "FILE_UNREADABLE": (E, "Fichier illisible", "Fichier illisible : {reason}"),
    "HEADER_NOT_FOUND": (E, "En-tête du tableau introuvable",
                         "Aucun en-tête de tableau reconnu dans les 40 premières lignes{where}"),
    "COLUMN_MISSING": (E, "Colonne obligatoire absente", "Colonne obligatoire absente : « {label} »"),
    "CENTRE_UNKNOWN": (E, "Centre inconnu", "{detail}"),
    "FINESS_INVALID": (E, "FINESS invalide", "FINESS {kind} « {value} » invalide : {reason}"),
    "FINESS_MISMATCH": (E, "FINESS juridique incohérent",
                        "FINESS juridique « {value} » différent de celui du centre {centre} ({expected})"),
    "REQUIRED_MISSING": (E, "Valeur obligatoire manquante", "{label} : cellule vide{hint}"),
    "NIR_INVALID": (E, "NIR invalide", "NIR {nir} : {reason}"),
    "NIR_BIRTHDATE_MISMATCH": (W, "NIR et date de naissance discordants",
                               "Le NIR indique une naissance en {nir_month}, la date de naissance est le {birth} "
                               "(NIR d'un parent ?)"),
    "DATE_INVALID": (E, "Date illisible", "{label} : « {value} » n'est pas une date (JJ/MM/AAAA attendu)"),
    "DATE_IN_FUTURE": (E, "Date future", "Administration le {date}, postérieure à aujourd'hui ({today})"),
    "DATE_BEFORE_BIRTH": (E, "Date antérieure à la naissance",
                          "Administration le {date}, avant la naissance le {birth}"),
    "DATE_OUTSIDE_PERIOD": (E, "Date hors période", "Administration le {date}, hors de la période du bordereau "
                            "({start} au {end})"),
    "AGE_OUT_OF_RANGE": (W, "Âge hors cible",
                         "{age} ans le jour de l'injection (cible de la campagne : {min} à {max} ans)"),
    "REGIME_UNKNOWN": (E, "Code régime inconnu", "Code régime « {value} » {hint}"),
    "COVERAGE_UNKNOWN": (E, "Prise en charge inconnue", "Prise en charge « {value} » {hint}"),
    "VACCINE_CODE_INVALID": (E, "Code CIP/UCD invalide", "Code CIP/UCD « {value} » : {reason}"),
    "VACCINE_UNKNOWN": (E, "Vaccin inconnu des tarifs",
                        "Code « {value} » : vaccin inconnu des tarifs (vérifiez le code sur la boîte ; s'il est juste, "
                        "signalez-le au Département)"),
    "VACCINE_NAME_MISMATCH": (W, "Nom du vaccin discordant",
                              "Vaccin « {value} » alors que le code {cip} est celui de {expected}"),
    "PRICE_INVALID": (E, "Montant illisible", "{label} « {value} » : {reason}"),
    "PRICE_ABOVE_PUBLIC": (E, "Prix supérieur au prix public",
                           "Prix unitaire {price} supérieur au prix public TTC en vigueur le {date} ({public})"),
    "PRICE_CAPPED": (W, "Prix négocié plafonné au prix public",
                     "Prix négocié {price} supérieur au prix public TTC en vigueur le {date} ({public}) : la ligne est "
                     "facturée au prix public"),
    "PRICE_PUBLIC_ASSUMED": (W, "Prix public supposé",
                             "Aucun prix public de {vaccine} observé au {date} : celui de l'observation la plus "
                             "proche est retenu, {public} au {seen}"),
    "PRICE_MISMATCH": (E, "Prix différent du prix négocié",
                       "Prix unitaire {price} différent du prix négocié en vigueur le {date} ({expected})"),
    "RATE_UNDEFINED": (E, "Aucun tarif en vigueur", "{detail}"),
    "AMOUNT_MISMATCH": (E, "Montant discordant", "{label} {value} au lieu de {expected} calculé"),
    "DUPLICATE_LINE": (E, "Doublon", "Même bénéficiaire, même vaccin, même date que {other}"),
    "ALREADY_BILLED": (E, "Déjà facturée", "Dose déjà facturée : {where}"),
    # the schedule is not a billing condition (the dose was given, the vaccine used): warnings the CPAM may question
    "DOSE_INTERVAL_TOO_SHORT": (W, "Doses trop rapprochées",
                                "Dose HPV le {date}, {days} jours après celle du {previous} ({other}) : le schéma "
                                "vaccinal prévoit {months} mois au moins"),
    "TOO_MANY_DOSES": (W, "Trop de doses", "{rank}e dose HPV du bénéficiaire ; le schéma en prévoit {max}"),
    "ROWS_AFTER_GAP": (W, "Lignes après une ligne vide",
                       "{count} ligne(s) après la ligne vide {empty} ne sont pas lues (le tableau s'arrête à la "
                       "première ligne vide) : supprimez la ligne vide"),
    "LINE_NUMBER_INVALID": (W, "N° de ligne illisible",
                            "{label} « {value} » : ce n'est pas un numéro de ligne (un entier de 1 à 1 048 576) ; le "
                            "numéro de la ligne Excel le remplace"),
    "FORMULA_NOT_CALCULATED": (W, "Formules jamais calculées",
                               "{count} formule(s) sans valeur enregistrée (classeur jamais recalculé) : ouvrez-le "
                               "dans Excel, recalculez (F9) et enregistrez"),
    "CLAIMED_TOTAL_MISMATCH": (E, "Ligne de total discordante",
                               "Ligne de total, {label} : {claimed} déclarés, {actual} pour la somme des {lines} "
                               "lignes (écart {difference})"),
    # audit of received bordereaux (audit.py, audit_checks.py)
    "CENTRE_NOT_ATTACHED": (E, "Centre d'une autre caisse",
                            "{centre} (FINESS {finess}) est rattaché à la caisse {attached}, pas à la caisse "
                            "{audited}{why}"),
    "FILE_MODIFIED": (W, "Fichier modifié depuis l'export",
                      "Empreinte SHA-256 différente de celle de manifest.json : fichier modifié après l'export"),
    "REFERENCE_DIFFERS": (W, "Données de référence différentes de l'export",
                          "L'export a été chiffré avec d'autres données de référence (empreinte {theirs}…, barème(s) "
                          "du {sets}) que les vôtres ({ours}…) : un écart de prix ou de taux peut venir de là"),
    "BORDEREAU_SEEN_BEFORE": (E, "Bordereau déjà présenté", "Bordereau n° {number} déjà présenté : {other}"),
}


@dataclass(frozen=True, slots=True)
class Finding:
    path: str
    sheet: str | None
    row: int | None
    cell: str | None
    column: str | None
    code: str
    severity: str
    message: str

    def as_dict(self) -> dict:
        """As every output shows it: a NIR-shaped run in the path or the sheet name masked too (each distinct text
        masked once: paths, codes and most messages repeat from finding to finding)."""
        values = (getattr(self, name) for name in _FIELDS)
        return {name: _masked(v) if isinstance(v, str) else hide_all(v)
                for name, v in zip(_FIELDS, values, strict=True)}


_FIELDS = tuple(f.name for f in fields(Finding))
_masked = functools.lru_cache(maxsize=1 << 16)(hide_nirs)


class CountsFindings:
    """For results that hold `findings`: how many errors and warnings."""

    findings: list[Finding]

    @property
    def errors(self) -> int:
        return sum(f.severity == "error" for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity == "warning" for f in self.findings)


def make(code: str, path: str, sheet: str | None = None, row: int | None = None, cell: str | None = None,
         column: str | None = None, **values: object) -> Finding:
    """Build a finding whose severity and French message come from the table; a NIR in a value is masked."""
    severity, _, template = CODES[code]
    values = {k: hide_nirs(v) if isinstance(v, str) else v for k, v in values.items()}
    return Finding(path, sheet, row, cell, column, code, str(severity), template.format(**values))


def title(code: str) -> str:
    return CODES[code][1]


def sort_key(f: Finding) -> tuple:
    return (f.path, f.sheet or "", f.row or 0, f.cell or "", f.code)
