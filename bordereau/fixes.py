"""What each finding means and what to do about it: two French sentences per code of `findings.CODES`.

`MEANINGS` says when the finding is raised, `FIXES` (« pour corriger ») what to do, for the person who receives it
(the centre for a line of its bordereau, the Département or the CPAM agent for what only they see). `docs/codes.md`
is generated from these tables and `findings.CODES`; a test checks that every code has its two sentences. A few codes
announced by the contract (`PRICE_CAPPED`, `PRICE_PUBLIC_ASSUMED`, `REFERENCE_DIFFERS`) have theirs already, for when
their rule lands.

>>> FIXES["NIR_INVALID"].startswith("Recopiez")
True
"""

from __future__ import annotations

FIXES: dict[str, str] = {
    "FILE_UNREADABLE": (
        "Enregistrez de nouveau le classeur depuis Excel ou LibreOffice au format .xlsx, sans mot de passe, puis "
        "renvoyez-le ; s'il dépasse les limites de taille, retirez les feuilles et lignes qui ne sont pas le bordereau."
    ),
    "HEADER_NOT_FOUND": (
        "Gardez la ligne d'en-tête du modèle (Nom, Prénom, NIR, Date de naissance…) dans les 40 premières lignes de la "
        "feuille, au-dessus des doses."
    ),
    "COLUMN_MISSING": (
        "Ajoutez la colonne nommée dans le message, avec l'un des libellés du modèle, et remplissez-la à chaque ligne."
    ),
    "CENTRE_UNKNOWN": (
        "Vérifiez le FINESS géographique du centre dans le bloc d'en-tête ; s'il est juste, demandez au Département "
        "d'ajouter le centre à ses données de référence."
    ),
    "FINESS_INVALID": (
        "Recopiez le FINESS (9 caractères) depuis la convention ou le répertoire FINESS : un chiffre est faux."
    ),
    "FINESS_MISMATCH": (
        "Indiquez le FINESS juridique du Département (celui de la convention), pas celui d'un autre établissement."
    ),
    "REQUIRED_MISSING": "Remplissez la cellule vide à partir du dossier de l'élève ou de la fiche de vaccination.",
    "NIR_INVALID": (
        "Recopiez le NIR depuis l'attestation de droits ou la carte Vitale (13 chiffres et la clé de 2 chiffres) ; "
        "sans droits, laissez-le vide et écrivez « sans droits » en prise en charge."
    ),
    "NIR_BIRTHDATE_MISMATCH": (
        "Vérifiez s'il s'agit du NIR d'un parent (c'est admis pour un ayant droit) et corrigez la date de naissance "
        "si elle est fausse."
    ),
    "DATE_INVALID": "Saisissez une date réelle au format JJ/MM/AAAA (ou une date Excel).",
    "DATE_IN_FUTURE": "Corrigez la date d'administration : une dose ne peut pas être facturée avant d'avoir été faite.",
    "DATE_BEFORE_BIRTH": "Corrigez la date de naissance ou la date d'administration : l'une des deux est fausse.",
    "DATE_OUTSIDE_PERIOD": (
        "Corrigez la date d'administration, ou facturez la dose sur le bordereau de sa période."
    ),
    "AGE_OUT_OF_RANGE": (
        "Vérifiez la date de naissance ; si elle est juste, la dose est facturée mais la CPAM peut la questionner."
    ),
    "REGIME_UNKNOWN": "Écrivez le code régime à deux chiffres de l'attestation de droits (01 pour le régime général).",
    "COVERAGE_UNKNOWN": "Écrivez l'une des valeurs : droit commun, ALD, AME, C2S ou sans droits.",
    "VACCINE_CODE_INVALID": "Recopiez le code CIP13 (ou UCD13, ou CIP7) imprimé sur la boîte du vaccin.",
    "VACCINE_UNKNOWN": (
        "Vérifiez le code sur la boîte ; s'il est juste, signalez-le au Département pour qu'il ajoute ce vaccin aux "
        "tarifs."
    ),
    "VACCINE_NAME_MISMATCH": "Corrigez le nom du vaccin ou le code pour qu'ils désignent le même vaccin.",
    "PRICE_INVALID": "Saisissez le montant en euros, positif, avec au plus deux décimales (98,50).",
    "PRICE_ABOVE_PUBLIC": "Facturez le prix négocié par le Département, ou le prix public en vigueur à cette date.",
    "PRICE_CAPPED": (
        "Rien à faire : la dose est facturée au prix public, plus bas ce jour-là que le prix négocié."
    ),
    "PRICE_PUBLIC_ASSUMED": (
        "Rien à faire si le prix est juste ; le Département peut importer une liste de prix plus ancienne."
    ),
    "PRICE_MISMATCH": "Facturez le prix négocié en vigueur à la date d'administration, donné dans le message.",
    "RATE_UNDEFINED": (
        "Vérifiez la date d'administration ; si elle est juste, demandez au Département de compléter ses tarifs."
    ),
    "AMOUNT_MISMATCH": (
        "Remplacez le montant par celui que donne le message, ou videz la cellule : l'outil calcule les montants."
    ),
    "DUPLICATE_LINE": "Supprimez l'une des deux lignes si c'est la même dose, sinon corrigez la date ou le vaccin.",
    "ALREADY_BILLED": (
        "Supprimez la ligne : cette dose a déjà été facturée dans le bordereau que nomme le message."
    ),
    "DOSE_INTERVAL_TOO_SHORT": (
        "Vérifiez les deux dates d'administration et corrigez celle qui est fausse ; si elles sont justes, tenez la "
        "fiche de vaccination prête pour la CPAM."
    ),
    "TOO_MANY_DOSES": (
        "Vérifiez les doses déjà faites à cet élève et retirez celle qui est en trop par erreur ; si elles sont "
        "justes, tenez la fiche de vaccination prête pour la CPAM."
    ),
    "ROWS_AFTER_GAP": "Supprimez la ligne vide au milieu du tableau pour que les lignes suivantes soient lues.",
    "FORMULA_NOT_CALCULATED": "Ouvrez le classeur dans Excel, recalculez (F9), enregistrez, puis déposez-le.",
    "CLAIMED_TOTAL_MISMATCH": (
        "Refaites la somme de la colonne sur la ligne de total : seules les lignes jugées une à une sont payées."
    ),
    "CENTRE_NOT_ATTACHED": (
        "Renvoyez le bordereau au Département : il doit être déposé auprès de la caisse de rattachement du centre."
    ),
    "FILE_MODIFIED": (
        "Demandez au Département le fichier tel qu'il a été exporté, ou vérifiez les lignes modifiées avant de payer."
    ),
    "BORDEREAU_SEEN_BEFORE": (
        "Ne payez pas deux fois : vérifiez s'il s'agit d'un second envoi du même bordereau et demandez-en la raison."
    ),
    "REFERENCE_DIFFERS": (
        "Mettez à jour vos données de référence, ou auditez avec celles de l'export (--ref), avant de refuser un prix."
    ),
}


MEANINGS: dict[str, str] = {
    "FILE_UNREADABLE": "Le fichier n'est pas un classeur, est abîmé, protégé par un mot de passe ou trop gros.",
    "HEADER_NOT_FOUND": "Aucune ligne d'en-tête de tableau n'est reconnue dans les 40 premières lignes.",
    "COLUMN_MISSING": "Une colonne obligatoire manque au tableau.",
    "CENTRE_UNKNOWN": "Le FINESS géographique n'est celui d'aucun centre des données de référence.",
    "FINESS_INVALID": "Un FINESS est mal formé ou sa clé est fausse.",
    "FINESS_MISMATCH": "Le FINESS juridique n'est pas celui du centre dans les données de référence.",
    "REQUIRED_MISSING": "Une cellule obligatoire est vide.",
    "NIR_INVALID": "Le NIR est mal formé ou sa clé est fausse.",
    "NIR_BIRTHDATE_MISMATCH": "L'année ou le mois de naissance du NIR diffèrent de la date de naissance.",
    "DATE_INVALID": "Une date ne peut pas être lue.",
    "DATE_IN_FUTURE": "La dose est datée d'après aujourd'hui.",
    "DATE_BEFORE_BIRTH": "La dose est datée d'avant la naissance.",
    "DATE_OUTSIDE_PERIOD": "La dose est datée hors de la période du bordereau (bloc d'en-tête).",
    "AGE_OUT_OF_RANGE": "L'élève n'a pas 11 à 14 ans le jour de l'injection (public de la campagne).",
    "REGIME_UNKNOWN": "Le code régime n'est pas dans la liste des régimes.",
    "COVERAGE_UNKNOWN": "La prise en charge n'est pas reconnue, ou elle est ambiguë.",
    "VACCINE_CODE_INVALID": "Le code CIP/UCD est mal formé ou sa clé est fausse.",
    "VACCINE_UNKNOWN": "Le code est bien formé, mais les tarifs ne connaissent pas ce vaccin.",
    "VACCINE_NAME_MISMATCH": "Le nom du vaccin ne correspond pas à son code.",
    "PRICE_INVALID": "Un prix ou un montant est illisible, nul, négatif ou a plus de deux décimales.",
    "PRICE_ABOVE_PUBLIC": "Le prix unitaire dépasse le prix public TTC du jour et n'est pas le prix négocié.",
    "PRICE_CAPPED": "Le prix négocié dépasse le prix public ce jour-là : la dose est facturée au prix public.",
    "PRICE_PUBLIC_ASSUMED": "Aucun prix public n'est connu à cette date : le plus proche est utilisé (date et source "
                            "dans le message).",
    "PRICE_MISMATCH": "Le prix unitaire diffère du prix négocié en vigueur ce jour-là.",
    "RATE_UNDEFINED": "Aucun prix ou taux n'est en vigueur à la date d'administration.",
    "AMOUNT_MISMATCH": "Le montant AMO ou le total de la feuille diffère du montant calculé.",
    "DUPLICATE_LINE": "Même bénéficiaire, même vaccin, même date qu'une autre ligne (dans tous les fichiers contrôlés "
                      "ensemble).",
    "ALREADY_BILLED": "Le registre du Département contient déjà cette dose, dans un bordereau exporté.",
    "DOSE_INTERVAL_TOO_SHORT": "Deux doses HPV du même bénéficiaire sont espacées de moins de 5 mois.",
    "TOO_MANY_DOSES": "Le bénéficiaire a plus de doses HPV que le schéma n'en prévoit.",
    "ROWS_AFTER_GAP": "Des lignes suivent une ligne vide : le tableau s'arrête à la première ligne vide.",
    "FORMULA_NOT_CALCULATED": "Des formules n'ont pas de valeur enregistrée (classeur jamais recalculé).",
    "CLAIMED_TOTAL_MISMATCH": "Une cellule de la ligne de total n'est pas la somme de sa colonne.",
    "CENTRE_NOT_ATTACHED": "Le centre est rattaché à une autre caisse que celle qui audite : toutes ses lignes sont "
                           "rejetées.",
    "FILE_MODIFIED": "Le fichier d'un dossier d'export n'a plus l'empreinte SHA-256 inscrite dans manifest.json.",
    "BORDEREAU_SEEN_BEFORE": "Le même numéro de bordereau a déjà été présenté (dans cet audit ou un audit précédent).",
    "REFERENCE_DIFFERS": "Les données de référence de l'agent ne sont pas celles qui ont servi à l'export.",
}


def meaning(code: str) -> str:
    """When a code is raised (empty for a code without a sentence)."""
    return MEANINGS.get(code, "")


def fix(code: str) -> str:
    """The « pour corriger » sentence of a code (empty for a code without one)."""
    return FIXES.get(code, "")
