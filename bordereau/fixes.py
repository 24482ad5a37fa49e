"""What to do about each finding: one « pour corriger » sentence per code, in the words of a centre's secretary or a
CPAM agent. Shown beside the findings in the HTML report, the « Anomalies » sheet and the service's page, and listed
in the README; `MEANINGS` says when each code is raised. `docs/codes.md` is generated from these tables and
`findings.CODES`."""

from __future__ import annotations

FIXES: dict[str, str] = {
    "FILE_UNREADABLE": "Ouvrez le fichier dans Excel ou LibreOffice, enregistrez-le en .xlsx sans mot de passe et "
                       "renvoyez-le.",
    "HEADER_NOT_FOUND": "Reprenez le modèle de bordereau : une ligne d'en-têtes (Nom, Prénom, NIR...) dans les 40 "
                        "premières lignes.",
    "COLUMN_MISSING": "Ajoutez la colonne manquante avec son en-tête, comme dans le modèle de bordereau.",
    "CENTRE_UNKNOWN": "Inscrivez le FINESS géographique du centre dans le bloc d'en-tête ; s'il est juste, "
                      "demandez au Département de l'ajouter à centres.yaml.",
    "FINESS_INVALID": "Recopiez le numéro FINESS à 9 caractères tel qu'il figure sur l'annuaire FINESS.",
    "FINESS_MISMATCH": "Inscrivez le FINESS juridique du Département dont dépend le centre.",
    "REQUIRED_MISSING": "Remplissez la cellule (si c'est une formule, recalculez le classeur avant de l'enregistrer).",
    "NIR_INVALID": "Recopiez le NIR (15 caractères, clé comprise) depuis l'attestation de droits ou la carte Vitale.",
    "NIR_BIRTHDATE_MISMATCH": "Vérifiez la date de naissance ; si le NIR est celui d'un parent, indiquez celui de "
                              "l'élève s'il en a un.",
    "DATE_INVALID": "Saisissez une date réelle au format JJ/MM/AAAA.",
    "DATE_IN_FUTURE": "Corrigez la date d'administration : une dose ne peut pas être facturée avant d'être faite.",
    "DATE_BEFORE_BIRTH": "Corrigez la date d'administration ou la date de naissance.",
    "DATE_OUTSIDE_PERIOD": "Corrigez la date, ou déclarez la dose sur le bordereau de sa période.",
    "AGE_OUT_OF_RANGE": "Vérifiez la date de naissance ; si elle est juste, la dose sort de la campagne au collège.",
    "REGIME_UNKNOWN": "Inscrivez le code régime à deux chiffres de l'attestation de droits (01 pour le régime "
                      "général).",
    "COVERAGE_UNKNOWN": "Choisissez : droit commun, ALD, AME, C2S ou sans droits.",
    "VACCINE_CODE_INVALID": "Recopiez le code CIP13 (ou CIP7, UCD) imprimé sur la boîte du vaccin.",
    "VACCINE_UNKNOWN": "Vérifiez le code sur la boîte ; s'il est juste, signalez ce vaccin au Département.",
    "VACCINE_NAME_MISMATCH": "Mettez le nom du vaccin d'accord avec son code (le code fait foi).",
    "PRICE_INVALID": "Saisissez un montant en euros, en chiffres (par exemple 98,50).",
    "PRICE_ABOVE_PUBLIC": "Facturez au plus le prix public TTC en vigueur à la date de l'injection.",
    "PRICE_MISMATCH": "Facturez le prix négocié par le Département en vigueur à la date de l'injection.",
    "RATE_UNDEFINED": "Signalez-le au Département : les tarifs ne couvrent pas cette date.",
    "AMOUNT_MISMATCH": "Reprenez le montant calculé par l'outil (taux en vigueur à la date de l'injection).",
    "DUPLICATE_LINE": "Supprimez la ligne en double, ou corrigez la date ou le vaccin si ce sont deux doses.",
    "ALREADY_BILLED": "Rien à corriger : retirez la ligne, la dose a déjà été facturée.",
    "DOSE_INTERVAL_TOO_SHORT": "Vérifiez les dates des deux doses ; si elles sont justes, la dose est facturée et la "
                               "CPAM peut la questionner.",
    "TOO_MANY_DOSES": "Vérifiez les doses déjà faites ; si elles sont justes, la dose est facturée et la CPAM peut la "
                      "questionner.",
    "PRICE_CAPPED": "Rien à corriger : la ligne est facturée au prix public ; signalez au Département que son prix "
                    "négocié dépasse le prix public.",
    "PRICE_PUBLIC_ASSUMED": "Rien à corriger : vérifiez seulement que le prix de l'observation retenue était bien "
                            "celui du jour.",
    "ROWS_AFTER_GAP": "Supprimez la ligne vide dans le tableau pour que les lignes suivantes soient lues.",
    "FORMULA_NOT_CALCULATED": "Ouvrez le classeur dans Excel, recalculez (F9) et enregistrez-le.",
    "LINE_NUMBER_INVALID": "Mettez dans la colonne « N° de ligne » un numéro d'ordre (1, 2, 3...), jamais un NIR ni "
                           "une date.",
    "CLAIMED_TOTAL_MISMATCH": "Refaites la ligne de total : chaque total est la somme de sa colonne.",
    "CENTRE_NOT_ATTACHED": "Adressez le bordereau à la caisse de rattachement du centre.",
    "FILE_MODIFIED": "Demandez au Département le fichier tel qu'il a été exporté, ou vérifiez chaque ligne.",
    "REFERENCE_DIFFERS": "Demandez au Département ses données de référence (ou importez la BDPM du même jour) avant "
                         "de contester un prix ou un taux.",
    "BORDEREAU_SEEN_BEFORE": "Ne payez pas deux fois : rapprochez-le du bordereau déjà présenté.",
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
    "LINE_NUMBER_INVALID": "Le n° de ligne d'un bordereau n'est pas un petit entier positif (un NIR, une date...) : "
                           "la ligne Excel le remplace.",
}


def meaning(code: str) -> str:
    """When a code is raised (empty for a code without a sentence)."""
    return MEANINGS.get(code, "")


def fix(code: str) -> str:
    """The « pour corriger » sentence of a code."""
    return FIXES.get(code, "Voir le message.")
