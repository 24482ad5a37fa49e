"""What a centre should do about each finding code, in one table (shown beside the findings on the service's page).

A code missing here gets the generic advice; a test keeps every code of findings.CODES in this table.
"""

from __future__ import annotations

ADVICE: dict[str, str] = {
    "FILE_UNREADABLE": "Enregistrez le classeur au format .xlsx depuis Excel ou LibreOffice, sans mot de passe, et "
                       "envoyez-le de nouveau.",
    "HEADER_NOT_FOUND": "Partez du modèle de bordereau : la ligne d'en-tête (Nom, Prénom, NIR...) doit figurer dans "
                        "les 40 premières lignes.",
    "COLUMN_MISSING": "Ajoutez la colonne manquante avec son intitulé, puis remplissez-la.",
    "CENTRE_UNKNOWN": "Vérifiez le FINESS géographique du centre dans le bloc d'en-tête ; s'il est juste, signalez-le "
                      "au Département.",
    "FINESS_INVALID": "Recopiez le numéro FINESS (9 chiffres) depuis la convention.",
    "FINESS_MISMATCH": "Mettez le FINESS juridique du Département signataire de la convention.",
    "REQUIRED_MISSING": "Remplissez la cellule.",
    "NIR_INVALID": "Recopiez le NIR depuis l'attestation de droits ou la carte Vitale (13 chiffres et la clé).",
    "NIR_BIRTHDATE_MISMATCH": "Vérifiez qu'il s'agit bien du NIR de l'élève et non de celui d'un parent.",
    "DATE_INVALID": "Saisissez la date au format JJ/MM/AAAA.",
    "DATE_IN_FUTURE": "Corrigez la date d'administration (faute de frappe sur l'année ?).",
    "DATE_BEFORE_BIRTH": "Vérifiez la date de naissance et la date d'administration.",
    "DATE_OUTSIDE_PERIOD": "Corrigez la date, ou mettez la ligne dans le bordereau de la bonne période.",
    "AGE_OUT_OF_RANGE": "Vérifiez la date de naissance ; si elle est juste, la dose peut rester (avertissement).",
    "REGIME_UNKNOWN": "Mettez le code régime de l'attestation de droits (01 régime général...).",
    "COVERAGE_UNKNOWN": "Choisissez droit commun, ALD, AME, C2S ou sans droits.",
    "VACCINE_CODE_INVALID": "Recopiez le code CIP13 ou UCD imprimé sur la boîte du vaccin.",
    "VACCINE_UNKNOWN": "Vérifiez le code sur la boîte ; s'il est juste, signalez-le au Département.",
    "VACCINE_NAME_MISMATCH": "Mettez le nom du vaccin qui correspond au code (ou le code du vaccin injecté).",
    "PRICE_INVALID": "Saisissez un montant positif en euros, deux décimales au plus.",
    "PRICE_ABOVE_PUBLIC": "Facturez au prix négocié, jamais au-dessus du prix public.",
    "PRICE_MISMATCH": "Facturez au prix négocié en vigueur à la date de l'injection.",
    "RATE_UNDEFINED": "Vérifiez la date d'injection ; si elle est juste, signalez-le au Département.",
    "AMOUNT_MISMATCH": "Remplacez le montant par celui que l'outil a calculé.",
    "DUPLICATE_LINE": "Supprimez la ligne en double.",
    "ALREADY_BILLED": "Retirez la ligne : cette dose a déjà été facturée.",
    "DOSE_INTERVAL_TOO_SHORT": "Vérifiez les dates des deux doses ; la seconde ne peut pas être facturée si trop tôt.",
    "TOO_MANY_DOSES": "Vérifiez l'historique de l'élève : le schéma ne prévoit pas cette dose.",
    "ROWS_AFTER_GAP": "Supprimez la ligne vide au milieu du tableau.",
    "FORMULA_NOT_CALCULATED": "Ouvrez le classeur dans Excel, recalculez (F9) et enregistrez.",
    "CLAIMED_TOTAL_MISMATCH": "Refaites la ligne de total.",
    "CENTRE_NOT_ATTACHED": "Adressez le bordereau à la caisse de rattachement du centre.",
    "FILE_MODIFIED": "Demandez au Département le fichier d'export d'origine.",
    "BORDEREAU_SEEN_BEFORE": "Ne présentez pas deux fois le même bordereau.",
}

GENERIC = "Corrigez la cellule indiquée puis envoyez le bordereau de nouveau."


def advice(code: str) -> str:
    """What to do about a finding.

    >>> advice("DUPLICATE_LINE"), advice("NEW_CODE") == GENERIC
    ('Supprimez la ligne en double.', True)
    """
    return ADVICE.get(code, GENERIC)
