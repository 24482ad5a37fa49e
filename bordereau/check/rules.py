"""Line rules and cross-line rules: small functions, registered under the finding codes they emit.

Column rules (required cells, readable values, allowed codes) live in `schema.py`; these rules
use the reference data and other lines. Each takes the Batch and yields findings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from bordereau.check.batch import Batch, fr_date
from bordereau.check.schema import failures
from bordereau.distinct import group_codes, present_groups
from bordereau.findings import Finding
from bordereau.identifiers import nir_birth_month, nir_birth_months, nir_mask
from bordereau.money import LINE_LIMIT, format_eur, from_cents, parse_amount
from bordereau.price.split import age_on
from bordereau.read.layout import COLUMNS
from bordereau.text import norm_label

Rule = Callable[[Batch], Iterable[Finding]]
RULES: dict[str, Rule] = {}


def rule(*codes: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        for code in codes:
            RULES[code] = fn
        return fn

    return register


def all_rules() -> list[Rule]:
    return list(dict.fromkeys(RULES.values()))


def _eur(cents: object) -> str:
    return format_eur(from_cents(int(cents)))


@rule("REQUIRED_MISSING", "DATE_INVALID", "COVERAGE_UNKNOWN", "REGIME_UNKNOWN", "VACCINE_CODE_INVALID",
      "NIR_INVALID", "PRICE_INVALID", "LINE_NUMBER_INVALID")
def column_rules(b: Batch) -> Iterable[Finding]:
    f = b.frame
    for i, key, code in failures(f, set(b.ref.regimes), b.nir_problems, b.code_problems):
        raw = f.at[i, f"{key}_raw"] if f"{key}_raw" in f else None
        label = COLUMNS[key][0]
        if code == "REQUIRED_MISSING":
            yield b.line(code, i, key, label=label, hint="")
        elif code == "NIR_INVALID":
            value = f.at[i, key]
            yield b.line(code, i, key, nir=nir_mask(value), reason=b.nir_problems[value])
        elif code == "VACCINE_CODE_INVALID":
            value = f.at[i, key]
            yield b.line(code, i, key, value=value, reason=b.code_problems[value])
        elif code == "REGIME_UNKNOWN":
            yield b.line(code, i, key, value=f.at[i, key], hint=regime_hint(f.at[i, key]))
        elif code == "COVERAGE_UNKNOWN":
            yield b.line(code, i, key, value=fr_raw(raw), hint=coverage_hint(raw))
        elif code == "PRICE_INVALID":
            yield b.line(code, i, key, label=label, value=fr_raw(raw), reason=amount_problem(raw))
        else:
            yield b.line(code, i, key, label=label, value=fr_raw(raw))


def amount_problem(raw: object) -> str:
    """Why an amount cell cannot be billed, in French.

    >>> amount_problem("64.025"), amount_problem(-3.0), amount_problem(0), amount_problem("gratuit")
    ('plus de deux décimales', 'montant négatif', 'un prix nul ne se facture pas', "ce n'est pas un montant en euros")
    >>> amount_problem(1e308), amount_problem("2 500 000")
    ('montant démesuré (1 000 000 EUR ou plus)', 'montant démesuré (1 000 000 EUR ou plus)')
    """
    amount = parse_amount(raw)
    if (amount is not None and abs(amount) >= LINE_LIMIT) or (
            isinstance(raw, int | float) and not isinstance(raw, bool) and abs(raw) >= LINE_LIMIT):
        return "montant démesuré (1 000 000 EUR ou plus)"
    if amount is None:
        text = re.sub(r"[\s\u00a0\u202f€]|EUR", "", str(raw)).replace(",", ".")
        return "plus de deux décimales" if re.fullmatch(r"-?\d+\.\d{3,}", text) or (
            isinstance(raw, float)) else "ce n'est pas un montant en euros"
    return "montant négatif" if amount < 0 else "un prix nul ne se facture pas"


def regime_hint(code: object) -> str:
    """Why a code régime cannot be billed, in French."""
    if code == "99":
        return ("(régime inconnu) : une dose ne se facture pas sans le régime de l'élève ; reportez le code de son "
                "attestation de droits, ou « sans droits » si aucun droit n'est ouvert")
    return "inconnu"


def coverage_hint(raw: object) -> str:
    """What to write instead of a coverage label the tool does not take, in French.

    >>> coverage_hint(" cmu ")[:16]
    'ambigu : écrivez'
    """
    if norm_label(str(raw)) == "cmu":
        return ("ambigu : écrivez « C2S » pour l'ancienne CMU-C (prise en charge à 100 %), « droit commun » pour la "
                "seule couverture de base (65 %)")
    return "non reconnue (droit commun, ALD, AME, C2S ou sans droits)"


def fr_raw(raw: object) -> str:
    text = str(raw).strip()
    return text if len(text) <= 40 else text[:37] + "..."


@rule("NIR_BIRTHDATE_MISMATCH")
def nir_birth(b: Batch) -> Iterable[Finding]:
    f = b.frame
    for i in f.index[b.derived["parent_nir"]]:
        year, month = nir_birth_month(f.at[i, "nir"])
        yield b.line("NIR_BIRTHDATE_MISMATCH", i, "nir", nir_month=f"{month:02d}/{year:02d}",
                     birth=fr_date(f.at[i, "date_naissance"]))


@rule("DATE_IN_FUTURE", "DATE_BEFORE_BIRTH", "DATE_OUTSIDE_PERIOD", "AGE_OUT_OF_RANGE")
def dates(b: Batch) -> Iterable[Finding]:
    f, d = b.frame, b.derived
    given, birth = f["date_administration"], f["date_naissance"]
    today = pd.Timestamp(b.today)
    for i in f.index[given > today]:
        yield b.line("DATE_IN_FUTURE", i, "date_administration", date=fr_date(given[i]), today=fr_date(today))
    for i in f.index[given < birth]:
        yield b.line("DATE_BEFORE_BIRTH", i, "date_administration", date=fr_date(given[i]), birth=fr_date(birth[i]))
    outside = (given < f["periode_debut"]) | (given > f["periode_fin"])
    for i in f.index[outside.fillna(False)]:
        yield b.line("DATE_OUTSIDE_PERIOD", i, "date_administration", date=fr_date(given[i]),
                     start=fr_date(f.at[i, "periode_debut"]), end=fr_date(f.at[i, "periode_fin"]))
    age = d["age"]
    off = (given >= birth) & ((age < b.ref.age_min) | (age > b.ref.age_max)).fillna(False)
    for i in f.index[off]:
        yield b.line("AGE_OUT_OF_RANGE", i, "date_naissance", age=int(age[i]), min=b.ref.age_min, max=b.ref.age_max)


@rule("VACCINE_UNKNOWN", "VACCINE_NAME_MISMATCH")
def vaccine(b: Batch) -> Iterable[Finding]:
    f, d = b.frame, b.derived
    well_formed = f["code_vaccin"].notna() & ~f["code_vaccin"].isin(list(b.code_problems))
    for i in f.index[well_formed & d["classe"].isna()]:
        yield b.line("VACCINE_UNKNOWN", i, "code_vaccin", value=f.at[i, "code_vaccin"])
    named = f.loc[d["classe"].notna() & f["vaccin"].notna(), ["vaccin", "code_vaccin"]]
    wrong = set()
    for name, code in named.drop_duplicates().itertuples(index=False, name=None):
        given, expected = norm_label(name), norm_label(b.ref.vaccine_by_code[code].nom)
        if not (given and (given in expected or expected in given)):
            wrong.add((name, code))
    if not wrong:
        return
    for i, name, code in named[pd.MultiIndex.from_frame(named).isin(wrong)].itertuples(name=None):
        yield b.line("VACCINE_NAME_MISMATCH", i, "vaccin", value=name, cip=code,
                     expected=b.ref.vaccine_by_code[code].nom)


def _price_problems(b: Batch) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Lines whose price is known, above the public price (and not a capped negotiated one), or not the negotiated
    price (a line billed at the public price below the negotiated one is right: it is the base)."""
    f, d = b.frame, b.derived
    given = f["prix_unitaire"]
    known = (given.notna() & d["classe"].notna() & f["date_administration"].notna()).astype(bool)
    above = (known & ~d["prix_plafonne"] & (given > d["prix_public"])).fillna(False).astype(bool)
    expected = d["prix_negocie"].where(~(d["prix_negocie"] > d["prix_public"]).fillna(False), d["prix_public"])
    mismatch = (known & ~above & ~d["prix_plafonne"] & (given != expected)).fillna(False).astype(bool)
    return known, above, mismatch


@rule("PRICE_ABOVE_PUBLIC", "PRICE_MISMATCH", "PRICE_CAPPED", "PRICE_PUBLIC_ASSUMED", "RATE_UNDEFINED")
def price(b: Batch) -> Iterable[Finding]:
    f, d = b.frame, b.derived
    given = f["prix_unitaire"]
    known, above, mismatch = _price_problems(b)
    for i in f.index[known & d["prix_public"].isna()]:
        yield b.line("RATE_UNDEFINED", i, "date_administration", detail=(
            f"Aucun prix public connu pour {b.ref.vaccine_by_code[f.at[i, 'code_vaccin']].nom} le "
            f"{fr_date(f.at[i, 'date_administration'])} (tarifs/vaccins.yaml)"))
    for i in f.index[known & d["prix_public_suppose"].notna()]:
        yield b.line("PRICE_PUBLIC_ASSUMED", i, "prix_unitaire", date=fr_date(f.at[i, "date_administration"]),
                     vaccine=b.ref.vaccine_by_code[f.at[i, "code_vaccin"]].nom, public=_eur(d.at[i, "prix_public"]),
                     seen=d.at[i, "prix_public_suppose"])
    for i in f.index[known & d["prix_plafonne"]]:
        yield b.line("PRICE_CAPPED", i, "prix_unitaire", price=_eur(given[i]),
                     date=fr_date(f.at[i, "date_administration"]), public=_eur(d.at[i, "prix_public"]))
    for i in f.index[above]:
        yield b.line("PRICE_ABOVE_PUBLIC", i, "prix_unitaire", price=_eur(given[i]),
                     date=fr_date(f.at[i, "date_administration"]), public=_eur(d.at[i, "prix_public"]))
    for i in f.index[mismatch]:
        yield b.line("PRICE_MISMATCH", i, "prix_unitaire", price=_eur(given[i]),
                     date=fr_date(f.at[i, "date_administration"]), expected=_eur(d.at[i, "prix_negocie"]))
    for i in f.index[d["rate_missing"] & d["classe"].notna()]:
        yield b.line("RATE_UNDEFINED", i, "date_administration", detail=(
            f"Aucun barème de taux en vigueur le {fr_date(f.at[i, 'date_administration'])} (tarifs/taux.yaml)"))


_AMOUNTS = {"montant_amo": ("amo", "Montant AMO"), "montant_complementaire": ("complementaire", "Montant AMC"),
            "montant_total": ("total", "Montant total")}


@rule("AMOUNT_MISMATCH")
def amounts(b: Batch) -> Iterable[Finding]:
    f, d = b.frame, b.derived
    # with a wrong price the price is the error; amounts computed from it say nothing more
    _, above, mismatch = _price_problems(b)
    price_ok = (f["prix_unitaire"] > 0).fillna(False) & ~above & ~mismatch
    for key, (part, label) in _AMOUNTS.items():
        if key not in f:
            continue
        differs = (price_ok & f[key].notna() & d[part].notna() & (f[key] != d[part])).fillna(False)
        for i in f.index[differs]:
            yield b.line("AMOUNT_MISMATCH", i, key, label=label, value=_eur(f.at[i, key]), expected=_eur(d.at[i, part]))


@rule("DUPLICATE_LINE")
def duplicates(b: Batch) -> Iterable[Finding]:
    repeated = np.flatnonzero(b.derived["doublon"].to_numpy(dtype=bool))
    if not len(repeated):
        return
    keyed = np.flatnonzero(b.doses >= 0)
    firsts = keyed[np.unique(b.doses[keyed], return_index=True)[1]]  # the first line of each dose, by its code
    index = b.frame.index
    for at in repeated:
        yield b.line("DUPLICATE_LINE", index[at], "date_administration", other=b.where(index[firsts[b.doses[at]]]))


@rule("ALREADY_BILLED")
def already_billed(b: Batch) -> Iterable[Finding]:
    """With a ledger: a dose billed in an earlier bordereau (and not rejected since)."""
    if b.billed is None or b.billed.empty:
        return
    billed = b.billed[b.billed["state"] == "billed"].drop_duplicates("dose_key").set_index("dose_key")
    keys = b.derived["dose_key"]
    for i in keys.index[keys.isin(billed.index)]:
        earlier = billed.loc[keys[i]]
        where = (f"bordereau {earlier['bordereau']}, ligne {int(earlier['line_no'])}" if earlier["line_no"]
                 else str(earlier["bordereau"]))
        yield b.line("ALREADY_BILLED", i, "date_administration", where=where)


def _hpv_doses(b: Batch) -> pd.DataFrame:
    """HPV doses of the batch (not duplicates, not already billed) and, with a ledger, the earlier billed ones."""
    f, d = b.frame, b.derived
    keep = d["beneficiaire"].notna() & d["classe"].eq("HPV") & f["date_administration"].notna() & ~d["doublon"]
    if b.billed is not None and len(b.billed):
        keep &= ~d["dose_key"].isin(set(b.billed.loc[b.billed["state"] == "billed", "dose_key"]))
    doses = pd.DataFrame({"who": d.loc[keep, "beneficiaire"], "day": f.loc[keep, "date_administration"],
                          "age": d.loc[keep, "age"], "i": f.index[keep], "origin": None})
    if b.history is not None and len(b.history):
        ids = dict(zip(d.loc[keep, "beneficiary_key"], d.loc[keep, "beneficiaire"], strict=True))
        births = dict(zip(d.loc[keep, "beneficiary_key"], f.loc[keep, "date_naissance"], strict=True))
        h = b.history[b.history["beneficiary_key"].isin(ids)]
        # the beneficiary key holds the birth date: a line purged, or on a FIR statement, has the batch line's one
        birth = h["birth_date"].where(h["birth_date"].notna(), h["beneficiary_key"].map(births))
        earlier = pd.DataFrame({
            "who": h["beneficiary_key"].map(ids).astype("Int64"), "day": h["administered_on"],
            "age": age_on(birth.astype("datetime64[s]"), h["administered_on"]), "i": -1,
            "origin": "la dose du " + h["administered_on"].dt.strftime("%d/%m/%Y") + " (" + h["where"] + ")"})
        doses = pd.concat([earlier, doses], ignore_index=True)
    return doses.sort_values(["who", "day"], kind="stable").reset_index(drop=True)


@rule("DOSE_INTERVAL_TOO_SHORT", "TOO_MANY_DOSES")
def hpv_schedule(b: Batch) -> Iterable[Finding]:
    schedule = b.ref.schedules.get("HPV")
    if schedule is None:
        return
    doses = _hpv_doses(b)
    group = doses.groupby("who", sort=False)
    doses["previous"] = group["day"].shift()
    doses["previous_at"] = group["i"].shift()
    doses["previous_origin"] = group["origin"].shift()
    doses["rank"] = group.cumcount() + 1
    doses["first_age"] = group["age"].transform("first")
    mine = doses["i"] >= 0
    too_soon = mine & doses["previous"].notna() & (doses["day"] < doses["previous"] + pd.DateOffset(
        months=schedule.min_interval_months))
    for _, row in doses[too_soon].iterrows():
        other = row["previous_origin"] if row["previous_at"] < 0 else b.where(int(row["previous_at"]))
        yield b.line("DOSE_INTERVAL_TOO_SHORT", int(row["i"]), "date_administration", date=fr_date(row["day"]),
                     days=(row["day"] - row["previous"]).days, previous=fr_date(row["previous"]), other=other,
                     months=schedule.min_interval_months)
    limit = pd.Series(schedule.max_doses, index=doses.index)
    if schedule.catch_up_age is not None and schedule.max_doses_catch_up is not None:
        limit = limit.where(~(doses["first_age"] >= schedule.catch_up_age).fillna(False), schedule.max_doses_catch_up)
    for k in doses.index[mine & (doses["rank"] > limit)]:
        yield b.line("TOO_MANY_DOSES", int(doses.at[k, "i"]), "date_administration", rank=int(doses.at[k, "rank"]),
                     max=int(limit[k]))


def derive(b: Batch) -> pd.DataFrame:
    """Values the rules share: vaccine class and prices, split, age, centre, beneficiary key, duplicates."""
    from bordereau.price.split import billing_base, split_columns, vaccine_columns

    f, ref = b.frame, b.ref
    d = vaccine_columns(f, ref)
    d["prix_base"], d["prix_plafonne"] = billing_base(f["prix_unitaire"], d["prix_public"], d["prix_negocie"])
    d = d.join(split_columns(f, d["classe"], ref, d["prix_base"]))
    d["age"] = age_on(f["date_naissance"], f["date_administration"])
    d["centre"] = f["finess_geographique"].map({k: c.nom for k, c in ref.centre_by_finess.items()})
    d["cpam"] = f["finess_geographique"].map({k: c.cpam for k, c in ref.centre_by_finess.items()})
    d["vaccin_id"] = d["cip13"].where(d["cip13"].notna(), f["code_vaccin"])
    d["parent_nir"] = _parent_nir(b)
    d["who"], d["beneficiaire"] = _beneficiary(b, d["parent_nir"])
    # the same dose twice: same beneficiary, vaccine and day (-1: one of them unknown)
    b.doses = present_groups([d["beneficiaire"], d["vaccin_id"], f["date_administration"]])
    d["doublon"] = (b.doses >= 0) & pd.Series(b.doses).duplicated(keep="first").to_numpy()
    return d


def _parent_nir(b: Batch) -> pd.Series:
    """Lines whose valid NIR states another year and month of birth than the pupil's (a parent's NIR, most often).
    Each distinct NIR is read once."""
    f = b.frame
    usable = (f["nir"].notna() & ~f["nir"].isin(list(b.nir_problems)) & f["date_naissance"].notna()).to_numpy()
    parent = np.zeros(len(f), dtype=bool)
    if usable.any():
        codes, nirs = pd.factorize(f["nir"].to_numpy(dtype=object)[usable])
        year, month, known = nir_birth_months(pd.Series(nirs, dtype=object))
        births = f["date_naissance"][usable]
        parent[usable] = known[codes] & ((year[codes] != births.dt.year.to_numpy() % 100)
                                         | (month[codes] != births.dt.month.to_numpy()))
    return pd.Series(parent, index=f.index)


def _beneficiary(b: Batch, parent: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Who each line is for: the NIR and date of birth (and the first name under a parent's NIR), or, without a valid
    NIR, the last name, first name and date of birth, normalised; as text (None when unknown; hashed before it
    reaches the ledger) and as an integer id (numbered in order of first appearance). Kept in memory only.

    Each distinct identity is spelt once: 'N<nir>', 'N<nir>|<first name>' (a parent's NIR: it is shared with
    brothers and sisters, twins included, and the first name tells them apart), 'P<last name>|<first name>'."""
    f = b.frame
    valid_nir = (f["nir"].notna() & ~f["nir"].isin(list(b.nir_problems))).to_numpy()
    nir_codes, nirs = pd.factorize(f["nir"].to_numpy(dtype=object))
    nom_codes, noms = _folded(f["nom"])
    prenom_codes, prenoms = _folded(f["prenom"])
    kind = np.where(valid_nir, np.where(parent.to_numpy(dtype=bool), 2, 1),
                    np.where((nom_codes >= 0) & (prenom_codes >= 0), 3, 0))
    first = np.where(kind == 3, nom_codes, np.where(kind > 0, nir_codes, -1))
    second = np.where(kind >= 2, prenom_codes, -1)
    combos, firsts = group_codes([kind, first, second])

    def identity(k: int, i: int, j: int) -> str | None:
        if k == 0:
            return None
        if k == 3:
            return f"P{noms[i]}|{prenoms[j]}"
        return f"N{nirs[i]}" if k == 1 else f"N{nirs[i]}|{prenoms[j] if j >= 0 else ''}"

    spelt = np.empty(len(firsts), dtype=object)
    nirs, noms, prenoms = nirs.tolist(), list(noms), list(prenoms)
    spelt[:] = [identity(*keys) for keys in zip(kind[firsts].tolist(), first[firsts].tolist(),
                                                  second[firsts].tolist(), strict=True)]
    by_spelling, spellings = pd.factorize(spelt)
    ident = by_spelling[combos]
    ids = present_groups([pd.arrays.IntegerArray(ident.astype(np.int64), ident < 0), f["date_naissance"]])
    known = ids >= 0
    text = np.full(len(f), None, dtype=object)
    if known.any():
        _, group_firsts = np.unique(ids[known], return_index=True)
        rows = np.flatnonzero(known)[group_firsts]
        births = f["date_naissance"].to_numpy()[rows].astype("datetime64[D]").astype(str)
        labels = np.empty(len(rows), dtype=object)
        labels[:] = [f"{who}|{birth}" for who, birth in zip(spellings[ident[rows]].tolist(), births.tolist(),
                                                             strict=True)]
        text[known] = labels[ids[known]]
    return (pd.Series(text, index=f.index),
            pd.Series(pd.arrays.IntegerArray(np.where(known, ids, 0), ~known), index=f.index))


def _folded(names: pd.Series) -> tuple[np.ndarray, list[str]]:
    """(code of each name, -1 where empty; the distinct names folded by norm_label)."""
    codes, distinct = pd.factorize(names.to_numpy(dtype=object))
    return codes, [norm_label(name) for name in distinct]
