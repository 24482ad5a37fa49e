"""Reference data: a bad entry fails at load time naming its file and key path; lookups give the entry in force."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

from bordereau.errors import BordereauError, ReferenceDataError
from bordereau.reference.data import load_reference

GARDASIL, NIMENRIX = "3400930056202", "3400922253930"

DROIT_COMMUN_RULE = """      - motif: Droit commun, ticket modérateur supporté par le centre (FIR)
        couvertures: [droit_commun]
        amo: "65"
        total: "65"
"""

# file, text to replace (exactly once), replacement, key path, words of the reason
BROKEN = {
    "finess-key": ("centres.yaml", '{numero: "590780102", exemple: true}', '{numero: "590780103", exemple: true}',
                   "centres[9].finess_geographique.numero", "clé de contrôle incorrecte"),
    "finess-juridique": ("centres.yaml", '{numero: "590000014", exemple: true}', '{numero: "59000001X"}',
                         "departements[0].finess_juridique.numero", "« 59000001X » invalide"),
    "finess-twice": ("centres.yaml", '{numero: "590780094", exemple: true}', '{numero: "590780102", exemple: true}',
                     "centres[9].finess_geographique", "déjà attribué"),
    "cpam-unknown": ("centres.yaml", 'cpam: "595"\n    finess_geographique: {numero: "590780102"',
                     'cpam: "598"\n    finess_geographique: {numero: "590780102"', "centres[9].cpam",
                     "CPAM « 598 » absente"),
    "departement-unknown": ("centres.yaml", 'ville: Cambrai\n    departement: "59"',
                            'ville: Cambrai\n    departement: "62"', "centres[0].departement", "« 62 »"),
    "amo-above-total": ("tarifs/taux.yaml", 'amo: "65"\n        total: "65"\n        source',
                        'amo: "70"\n        total: "65"\n        source', "baremes[0].regles[2]",
                        "amo <= total <= 100"),
    "rate-not-a-number": ("tarifs/taux.yaml", 'amo: "100"\n        total: "100"\n      - motif: Bénéficiaire',
                          'amo: "cent"\n        total: "100"\n      - motif: Bénéficiaire',
                          "baremes[0].regles[3].amo", "« cent » n'est pas un nombre décimal"),
    "coverage-unknown": ("tarifs/taux.yaml", 'couvertures: [ald]\n        amo: "100"',
                         'couvertures: [ald, mutuelle]\n        amo: "100"', "baremes[0].regles[3].couvertures",
                         "droit_commun"),
    "coverage-missing": ("tarifs/taux.yaml", DROIT_COMMUN_RULE, "", "baremes[0]",
                         "aucune règle pour un vaccin HPV en droit commun"),
    "price-3-decimals": ("tarifs/vaccins.yaml", '2022-06-01: {valeur: "116.86"', '2022-06-01: {valeur: "116.865"',
                         "vaccins[0].prix_public.2022-06-01", "deux décimales"),
    "price-negative": ("tarifs/vaccins.yaml", '2022-06-01: {valeur: "95.05"', '2022-06-01: {valeur: "-95.05"',
                       "vaccins[1].prix_public.2022-06-01.valeur", "montant négatif"),
    "price-as-float": ("tarifs/vaccins.yaml", '2022-06-01: {valeur: "95.05"', "2022-06-01: {valeur: 95.05",
                       "vaccins[1].prix_public.2022-06-01.valeur", "type inattendu (float)"),
    "price-without-source": ("tarifs/vaccins.yaml", '{valeur: "22.71", source: "BDPM 2023-11, CIS_CIP_bdpm.txt"}',
                             '{valeur: "22.71"}', "vaccins[3].prix_public.2023-11-01.source", "valeur manquante"),
    "price-date": ("tarifs/vaccins.yaml", '2023-11-01: {valeur: "22.71"', 'novembre: {valeur: "22.71"',
                   "vaccins[3].prix_public.novembre", "AAAA-MM-JJ"),
    "cip-key": ("tarifs/vaccins.yaml", 'cip13: "3400930056202"', 'cip13: "3400930056203"',
                "vaccins[0].cip13", "clé EAN-13 incorrecte"),
    "negotiated-3-decimals": ("tarifs/prix_negocies.yaml", 'valeur: "98.50"', 'valeur: "98.505"',
                              "prix_negocies[0].prix.2023-09-01", "deux décimales"),
    "negotiated-unknown-vaccine": ("tarifs/prix_negocies.yaml", 'cip13: "3400930056202"',
                                   'cip13: "3400930000014"', "prix_negocies[0].cip13", "tarifs/vaccins.yaml"),
    "regime-unquoted": ("tarifs/regimes.yaml", '"91": SLM MGEN', "91: SLM MGEN", "regimes.91", "deux chiffres"),
    "schedule-missing": ("tarifs/calendrier.yaml", "    doses_max: 2\n", "", "schemas.HPV.doses_max",
                         "valeur manquante"),
}


def _break(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur once in {name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_shipped_reference_loads(ref):
    assert len(ref.centres) == 10 and set(ref.cpams) == {"594", "595", "597", "599"}
    assert ref.centre_by_finess["590780102"].cpam == "595"
    assert ref.vaccine_by_code["3005620"] is ref.vaccine_by_code[GARDASIL]
    assert (ref.age_min, ref.age_max) == (11, 14)
    assert ref.schedules["HPV"].min_interval_months == 5


def test_copy_of_the_reference_loads(ref_copy, ref):
    copy = load_reference(ref_copy)
    assert copy.folder == ref_copy
    assert copy.centres == ref.centres and copy.vaccines == ref.vaccines and copy.rate_sets == ref.rate_sets


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_entry_names_file_and_key(ref_copy, case):
    name, old, new, key, reason = BROKEN[case]
    _break(ref_copy, name, old, new)
    with pytest.raises(ReferenceDataError) as caught:
        load_reference(ref_copy)
    message = str(caught.value)
    assert message.startswith(f"{name} : {key} : "), message
    assert reason in message
    assert "\n" not in message  # the CLI prints it on one line
    assert isinstance(caught.value, BordereauError)


@pytest.mark.parametrize(("damage", "words"), [
    (lambda f: (f / "tarifs" / "regimes.yaml").unlink(), "tarifs/regimes.yaml : fichier introuvable"),
    (lambda f: (f / "centres.yaml").write_text("cpam: [\n", encoding="utf-8"), "centres.yaml : YAML illisible"),
    (lambda f: (f / "centres.yaml").write_text("cpam:\n  - nom: \"x\n", encoding="utf-8"),  # the line was not said
     re.escape("centres.yaml : YAML illisible, ligne 3 (guillemet, crochet ou indentation ?)")),
    (lambda f: (f / "centres.yaml").write_bytes("nom: Département".encode("latin-1")),
     re.escape("centres.yaml : YAML illisible (le fichier n'est pas enregistré en UTF-8)")),
    (lambda f: (f / "tarifs" / "taux.yaml").write_text("- une liste\n", encoding="utf-8"),
     "tarifs/taux.yaml : le fichier doit contenir un dictionnaire"),
    (lambda f: (f / "tarifs" / "taux.yaml").write_text("baremes: []\n", encoding="utf-8"),
     "tarifs/taux.yaml : baremes : au moins un barème est attendu"),
])
def test_broken_file(ref_copy, damage, words):
    damage(ref_copy)
    with pytest.raises(ReferenceDataError, match=words):
        load_reference(ref_copy)


def test_missing_folder(tmp_path):
    with pytest.raises(ReferenceDataError, match="dossier de référence introuvable"):
        load_reference(tmp_path / "nulle-part")


# -- lookups by date --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "day", "price"), [
    (GARDASIL, dt.date(2020, 12, 31), None),
    (GARDASIL, dt.date(2021, 1, 1), "116.83"),
    (GARDASIL, dt.date(2021, 4, 30), "116.83"),
    (GARDASIL, dt.date(2021, 5, 1), "115.97"),
    (GARDASIL, dt.date(2026, 11, 23), "116.86"),
    (NIMENRIX, dt.date(2026, 4, 30), "42.25"),
    (NIMENRIX, dt.date(2026, 5, 1), "40.24"),
    ("3024421", dt.date(2023, 10, 31), None),  # MENQUADFI, by its CIP7, before its first BDPM price
])
def test_public_price_in_force(ref, code, day, price):
    entry = ref.vaccine_by_code[code].public_price.at(day)
    if price is None:
        assert entry is None
    else:
        assert entry.value == Decimal(price) and entry.start <= day and entry.source.startswith("BDPM")


def test_negotiated_price_in_force(ref):
    series = ref.negotiated[("59", GARDASIL)]
    assert series.at(dt.date(2023, 8, 31)) is None
    entry = series.at(dt.date(2023, 9, 1))
    assert entry.value == Decimal("98.50") and entry.example
    assert ("59", NIMENRIX) not in ref.negotiated


def test_rate_set_in_force(ref):
    assert ref.rate_set_at(dt.date(2023, 8, 31)) is None
    assert ref.rate_set_at(dt.date(2023, 9, 1)).start == dt.date(2023, 9, 1)
    assert ref.rate_set_at(dt.date(2026, 11, 23)).start == dt.date(2023, 9, 1)


@pytest.mark.parametrize(("classe", "coverage", "age", "amo", "total"), [
    ("HPV", "droit_commun", 12, "65", "65"),
    ("HPV", "ald", 12, "65", "65"),  # article 5 gives HPV no ALD case
    ("dTcaP", "ald", 12, "100", "100"),
    ("HPV", "ame", 12, "65", "100"),
    ("HPV", "c2s", 12, "65", "100"),
    ("HPV", "sans_droits", 12, "0", "0"),
    ("ROR", "droit_commun", 17, "100", "100"),  # prevention exemption before 18
    ("ROR", "droit_commun", 18, "65", "65"),
    ("ROR", "sans_droits", 12, "0", "0"),  # the first rule that matches wins
    ("MenACWY", "c2s", 12, "65", "100"),
])
def test_first_matching_rule(ref, classe, coverage, age, amo, total):
    rule = ref.rate_set_at(dt.date(2026, 10, 5)).rule_for(classe, coverage, "01", age)
    assert (rule.amo, rule.total) == (Decimal(amo), Decimal(total))


def test_an_avenant_applies_from_its_date(ref_copy):
    """A new dated barème (here listed before the older one) applies from its date on, the older one until then."""
    taux = ref_copy / "tarifs" / "taux.yaml"
    text = taux.read_text(encoding="utf-8")
    avenant = ('  - du: 2026-01-01\n    reference: Avenant de test\n    regles:\n'
               '      - {motif: Tout à 100 %, amo: "100", total: "100"}\n')
    taux.write_text(text.replace("baremes:\n", "baremes:\n" + avenant, 1), encoding="utf-8")
    ref = load_reference(ref_copy)
    assert [s.start for s in ref.rate_sets] == [dt.date(2023, 9, 1), dt.date(2026, 1, 1)]
    before, after = ref.rate_set_at(dt.date(2025, 12, 31)), ref.rate_set_at(dt.date(2026, 1, 1))
    assert before.start == dt.date(2023, 9, 1)
    assert before.rule_for("HPV", "droit_commun", "01", 12).amo == Decimal("65")
    assert after.reference == "Avenant de test"
    assert after.rule_for("HPV", "droit_commun", "01", 12).amo == Decimal("100")


def test_a_rate_set_can_end(ref_copy):
    """`au:` ends a rate set (the convention's end): a dose after it is in no rate set."""
    taux = ref_copy / "tarifs" / "taux.yaml"
    text = taux.read_text(encoding="utf-8")
    taux.write_text(text.replace("  - du: 2023-09-01\n", "  - du: 2023-09-01\n    au: 2025-08-31\n"), encoding="utf-8")
    ended = load_reference(ref_copy)
    assert ended.rate_set_at(dt.date(2025, 8, 31)).end == dt.date(2025, 8, 31)
    assert ended.rate_set_at(dt.date(2025, 9, 1)) is None


def test_a_rate_set_cannot_end_before_it_starts(ref_copy):
    taux = ref_copy / "tarifs" / "taux.yaml"
    text = taux.read_text(encoding="utf-8")
    taux.write_text(text.replace("  - du: 2023-09-01\n", "  - du: 2023-09-01\n    au: 2023-08-31\n"), encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=r"tarifs/taux.yaml : baremes\[0\].au : la fin du barème précède"):
        load_reference(ref_copy)


# Issue 14, « reference data refused when it is wrong »: each broken copy, one French line naming the file and the key
STRICT = {
    "unknown-key-centres": ("centres.yaml", "    nom_court: hainaut\n", "    nom_court: hainaut\n    exempel: true\n",
                            "cpam[0].exempel", "clé inconnue"),
    "unknown-key-rule": ("tarifs/taux.yaml", "        couvertures: [sans_droits]\n",
                         "        couvertures: [sans_droits]\n        couverture: [ald]\n",
"baremes[0].regles[0].couverture",
                         "clé inconnue"),
    "unknown-key-vaccine": ("tarifs/vaccins.yaml", "    cis: [\"65017887\"]\n",
                            "    cis: [\"65017887\"]\n    exemple: true\n", "vaccins[0].exemple", "clé inconnue"),
    "duplicate-top-level": ("tarifs/regimes.yaml", "regimes:\n", "regimes: {}\nregimes:\n", "ligne 6",
                            "clé « regimes » en double"),
    "two-prices-one-date": ("tarifs/vaccins.yaml", '      2022-06-01: {valeur: "116.86"',
                            '      2022-06-01: {valeur: "116.00", source: "x"}\n      2022-06-01: {valeur: "116.86"',
                            "ligne", "clé « 2022-06-01 » en double"),
    "rate-sets-same-date": ("tarifs/taux.yaml", "baremes:\n", "baremes:\n  - du: 2023-09-01\n    reference: x\n"
                            "    regles:\n      - {motif: tout, amo: \"65\", total: \"65\"}\n", "(racine)",
                            "même date de début"),
    "negotiated-twice": ("tarifs/prix_negocies.yaml", "prix_negocies:\n", "prix_negocies:\n  - departement: \"59\"\n"
                         "    cip13: \"3400930056202\"\n    prix:\n      2023-09-01: {valeur: \"98.50\", source: x}\n",
                         "(racine)", "même département et vaccin"),
    "departement-twice": ("centres.yaml", "departements:\n", "departements:\n  - code: \"59\"\n    nom: Nord bis\n"
                          "    finess_juridique: {numero: \"590000014\"}\n", "(racine)", "même code"),
    "shadowed-rule": ("tarifs/taux.yaml", "    regles:\n",
                      "    regles:\n      - {motif: tout, amo: \"65\", total: \"65\"}\n",
                      "baremes[0]", "ne s'applique jamais"),
    "doses-per-pack-zero": ("tarifs/vaccins.yaml", "    cis: [\"65017887\"]\n",
                            "    cis: [\"65017887\"]\n    doses_par_conditionnement: 0\n",
                            "vaccins[0].doses_par_conditionnement", "valeur refusée"),
    "age-min-above-max": ("tarifs/calendrier.yaml", "age_min: 11", "age_min: 15", "campagne",
                          "age_min (15) supérieur à age_max (14)"),
    "negative-interval": ("tarifs/calendrier.yaml", "intervalle_min_mois: 5", "intervalle_min_mois: -5",
                          "schemas.HPV.intervalle_min_mois", "valeur refusée"),
    "unknown-class": ("tarifs/taux.yaml", "classes: [ROR]", "classes: [ROT]", "baremes[0].regles[1].classes",
                      "classe de vaccin inconnue « ROT »"),
    "nom-court-slash": ("centres.yaml", "nom_court: hainaut", "nom_court: ../hainaut", "cpam[0].nom_court",
                        "valeur refusée"),
    "price-nan": ("tarifs/vaccins.yaml", '{valeur: "116.86"', '{valeur: "NaN"',
                  "vaccins[0].prix_public.2022-06-01.valeur",
                  "n'est pas un montant fini"),
    "price-inf-unquoted": ("tarifs/vaccins.yaml", '{valeur: "116.86"', "{valeur: .inf",
                           "vaccins[0].prix_public.2022-06-01.valeur", "type inattendu (float)"),
    "price-date-datetime": ("tarifs/vaccins.yaml", "      2022-06-01: {valeur: \"116.86\"",
                            "      2022-06-01 10:00:00: {valeur: \"116.86\"",
"vaccins[0].prix_public.2022-06-01 10:00:00",
                            "la clé doit être une date"),
    "rate-set-date-text": ("tarifs/taux.yaml", "  - du: 2023-09-01", "  - du: septembre", "baremes[0].du",
                           "type inattendu (str)"),
}


@pytest.mark.parametrize("case", STRICT)
def test_strict_reference_data(ref_copy, case):
    name, old, new, key, reason = STRICT[case]
    _break(ref_copy, name, old, new)
    with pytest.raises(ReferenceDataError) as caught:
        load_reference(ref_copy)
    message = str(caught.value)
    assert message.startswith(f"{name} : {key}"), message
    assert reason in message and "\n" not in message, message
