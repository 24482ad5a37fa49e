"""Line rules and cross-line rules: small functions, registered under the finding codes they emit.

Column rules (required cells, readable values, allowed codes) live in `schema.py`; these rules
use the reference data and other lines. Each takes the Batch and yields findings.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from bordereau.check.batch import Batch, fr_date, values_at
from bordereau.check.schema import failing_masks
from bordereau.distinct import group_codes, present_groups, recoded
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
    return _eur_of(int(cents))


@functools.lru_cache(maxsize=4096)
def _eur_of(cents: int) -> str:
    return format_eur(from_cents(cents))


@rule("REQUIRED_MISSING", "DATE_INVALID", "COVERAGE_UNKNOWN", "REGIME_UNKNOWN", "VACCINE_CODE_INVALID",
      "NIR_INVALID", "PRICE_INVALID", "LINE_NUMBER_INVALID")
def column_rules(b: Batch) -> Iterable[Finding]:
    f = b.frame
    for key, code, failing in failing_masks(f, set(b.ref.regimes), b.nir_problems, b.code_problems, b.distinct):
        raws = f[f"{key}_raw"] if f"{key}_raw" in f else pd.Series(None, index=f.index, dtype=object)
        for i, raw, value in values_at(failing, raws, f[key]):
            yield _column_finding(b, code, i, key, raw, value)


def _column_finding(b: Batch, code: str, i: object, key: str, raw: object, value: object) -> Finding:
    label = COLUMNS[key][0]
    if code == "REQUIRED_MISSING":
        return b.line(code, i, key, label=label, hint="")
    if code == "NIR_INVALID":
        return b.line(code, i, key, nir=nir_mask(value), reason=b.nir_problems[value])
    if code == "VACCINE_CODE_INVALID":
        return b.line(code, i, key, value=value, reason=b.code_problems[value])
    if code == "REGIME_UNKNOWN":
        return b.line(code, i, key, value=value, hint=regime_hint(value))
    if code == "COVERAGE_UNKNOWN":
        return b.line(code, i, key, value=fr_raw(raw), hint=coverage_hint(raw))
    if code == "PRICE_INVALID":
        return b.line(code, i, key, label=label, value=fr_raw(raw), reason=amount_problem(raw))
    return b.line(code, i, key, label=label, value=fr_raw(raw))


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
    for i, nir, birth in values_at(b.derived["parent_nir"], f["nir"], f["date_naissance"]):
        year, month = nir_birth_month(nir)
        yield b.line("NIR_BIRTHDATE_MISMATCH", i, "nir", nir_month=f"{month:02d}/{year:02d}", birth=fr_date(birth))


@rule("DATE_IN_FUTURE", "DATE_BEFORE_BIRTH", "DATE_OUTSIDE_PERIOD", "AGE_OUT_OF_RANGE")
def dates(b: Batch) -> Iterable[Finding]:
    f, d = b.frame, b.derived
    given, birth = f["date_administration"], f["date_naissance"]
    today = pd.Timestamp(b.today)
    for i, day in values_at(given > today, given):
        yield b.line("DATE_IN_FUTURE", i, "date_administration", date=fr_date(day), today=fr_date(today))
    for i, day, born in values_at(given < birth, given, birth):
        yield b.line("DATE_BEFORE_BIRTH", i, "date_administration", date=fr_date(day), birth=fr_date(born))
    outside = (given < f["periode_debut"]) | (given > f["periode_fin"])
    for i, day, start, end in values_at(outside.fillna(False), given, f["periode_debut"], f["periode_fin"]):
        yield b.line("DATE_OUTSIDE_PERIOD", i, "date_administration", date=fr_date(day), start=fr_date(start),
                     end=fr_date(end))
    age = d["age"]
    off = (given >= birth) & ((age < b.ref.age_min) | (age > b.ref.age_max)).fillna(False)
    for i, years in values_at(off, age):
        yield b.line("AGE_OUT_OF_RANGE", i, "date_naissance", age=int(years), min=b.ref.age_min, max=b.ref.age_max)


@rule("VACCINE_UNKNOWN", "VACCINE_NAME_MISMATCH")
def vaccine(b: Batch) -> Iterable[Finding]:
    f, d = b.frame, b.derived
    well_formed = f["code_vaccin"].notna() & ~f["code_vaccin"].isin(list(b.code_problems))
    for i, code in values_at(well_formed & d["classe"].isna(), f["code_vaccin"]):
        yield b.line("VACCINE_UNKNOWN", i, "code_vaccin", value=code)
    named = (d["classe"].notna() & f["vaccin"].notna()).to_numpy()
    if not named.any():
        return
    pairs, firsts = group_codes([_factorized(b, "vaccin")[0][named], _factorized(b, "code_vaccin")[0][named]]
                                if b.distinct else [f["vaccin"][named], f["code_vaccin"][named]])  # each pair once
    names, codes = f["vaccin"][named].to_numpy(dtype=object), f["code_vaccin"][named].to_numpy(dtype=object)
    wrong = np.zeros(len(firsts), dtype=bool)
    for k, (name, code) in enumerate(zip(names[firsts].tolist(), codes[firsts].tolist(), strict=True)):
        given, expected = norm_label(name), norm_label(b.ref.vaccine_by_code[code].nom)
        wrong[k] = not (given and (given in expected or expected in given))
    if not wrong.any():
        return
    mismatch = np.zeros(len(f), dtype=bool)
    mismatch[np.flatnonzero(named)[wrong[pairs]]] = True
    for i, name, code in values_at(mismatch, f["vaccin"], f["code_vaccin"]):
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
    given, day, code = f["prix_unitaire"], f["date_administration"], f["code_vaccin"]
    known, above, mismatch = _price_problems(b)
    for i, c, t in values_at(known & d["prix_public"].isna(), code, day):
        yield b.line("RATE_UNDEFINED", i, "date_administration", detail=(
            f"Aucun prix public connu pour {b.ref.vaccine_by_code[c].nom} le {fr_date(t)} (tarifs/vaccins.yaml)"))
    for i, t, c, public, seen in values_at(known & d["prix_public_suppose"].notna(), day, code, d["prix_public"],
                                           d["prix_public_suppose"]):
        yield b.line("PRICE_PUBLIC_ASSUMED", i, "prix_unitaire", date=fr_date(t),
                     vaccine=b.ref.vaccine_by_code[c].nom, public=_eur(public), seen=seen)
    for i, p, t, public in values_at(known & d["prix_plafonne"], given, day, d["prix_public"]):
        yield b.line("PRICE_CAPPED", i, "prix_unitaire", price=_eur(p), date=fr_date(t), public=_eur(public))
    for i, p, t, public in values_at(above, given, day, d["prix_public"]):
        yield b.line("PRICE_ABOVE_PUBLIC", i, "prix_unitaire", price=_eur(p), date=fr_date(t), public=_eur(public))
    for i, p, t, negotiated in values_at(mismatch, given, day, d["prix_negocie"]):
        yield b.line("PRICE_MISMATCH", i, "prix_unitaire", price=_eur(p), date=fr_date(t),
                     expected=_eur(negotiated))
    for i, t in values_at(d["rate_missing"] & d["classe"].notna(), day):
        yield b.line("RATE_UNDEFINED", i, "date_administration", detail=(
            f"Aucun barème de taux en vigueur le {fr_date(t)} (tarifs/taux.yaml)"))


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
        for i, value, expected in values_at(differs, f[key], d[part]):
            yield b.line("AMOUNT_MISMATCH", i, key, label=label, value=_eur(value), expected=_eur(expected))


@rule("DUPLICATE_LINE")
def duplicates(b: Batch) -> Iterable[Finding]:
    repeated = np.flatnonzero(b.derived["doublon"].to_numpy(dtype=bool))
    if not len(repeated):
        return
    doses = b.doses if b.doses is not None else present_groups(
        [b.derived["beneficiaire"], b.derived["vaccin_id"], b.frame["date_administration"]])
    keyed = np.flatnonzero(doses >= 0)
    firsts = keyed[np.unique(doses[keyed], return_index=True)[1]]  # the first line of each dose, by its code
    index = b.frame.index
    for at in repeated:
        yield b.line("DUPLICATE_LINE", index[at], "date_administration", other=b.where(index[firsts[doses[at]]]))


@rule("ALREADY_BILLED")
def already_billed(b: Batch) -> Iterable[Finding]:
    """With a ledger: a dose billed in an earlier bordereau (and not rejected since)."""
    if b.billed is None or b.billed.empty:
        return
    billed = b.billed[b.billed["state"] == "billed"].drop_duplicates("dose_key").set_index("dose_key")
    keys = b.derived["dose_key"]
    found = keys.isin(billed.index)
    earlier = billed.loc[keys[found]]
    for i, bordereau, line_no in zip(keys.index[found], earlier["bordereau"].tolist(), earlier["line_no"].tolist(),
                                     strict=True):
        where = f"bordereau {bordereau}, ligne {int(line_no)}" if line_no else str(bordereau)
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
    for _, i, day, previous, previous_at, origin in values_at(too_soon, doses["i"], doses["day"], doses["previous"],
                                                              doses["previous_at"], doses["previous_origin"]):
        other = origin if previous_at < 0 else b.where(int(previous_at))
        yield b.line("DOSE_INTERVAL_TOO_SHORT", int(i), "date_administration", date=fr_date(day),
                     days=(day - previous).days, previous=fr_date(previous), other=other,
                     months=schedule.min_interval_months)
    limit = pd.Series(schedule.max_doses, index=doses.index)
    if schedule.catch_up_age is not None and schedule.max_doses_catch_up is not None:
        limit = limit.where(~(doses["first_age"] >= schedule.catch_up_age).fillna(False), schedule.max_doses_catch_up)
    for _, i, rank, most in values_at(mine & (doses["rank"] > limit), doses["i"], doses["rank"], limit):
        yield b.line("TOO_MANY_DOSES", int(i), "date_administration", rank=int(rank), max=int(most))


def derive(b: Batch) -> pd.DataFrame:
    """Values the rules share: vaccine class and prices, split, age, centre, beneficiary key, duplicates."""
    from bordereau.price.split import billing_base, split_columns, vaccine_columns

    f, ref = b.frame, b.ref
    d = vaccine_columns(f, ref, b.distinct)
    d["prix_base"], d["prix_plafonne"] = billing_base(f["prix_unitaire"], d["prix_public"], d["prix_negocie"])
    d = d.join(split_columns(f, d["classe"], ref, d["prix_base"]))
    d["age"] = age_on(f["date_naissance"], f["date_administration"])
    d["centre"] = f["finess_geographique"].map({k: c.nom for k, c in ref.centre_by_finess.items()})
    d["cpam"] = f["finess_geographique"].map({k: c.cpam for k, c in ref.centre_by_finess.items()})
    d["vaccin_id"] = d["cip13"].where(d["cip13"].notna(), f["code_vaccin"])
    nirs = _Nirs(b)
    d["parent_nir"] = _parent_nir(b, nirs)
    d["who"], d["beneficiaire"] = _beneficiary(b, d["parent_nir"], nirs)
    # the same dose twice: same beneficiary, vaccine and day (-1: one of them unknown)
    b.doses = present_groups([d["beneficiaire"], d["vaccin_id"], f["date_administration"]])
    d["doublon"] = (b.doses >= 0) & pd.Series(b.doses).duplicated(keep="first").to_numpy()
    return d


class _Nirs:
    """The NIRs of the lines, factorized once for the parent NIRs and the beneficiaries: `codes` (-1 where empty),
    the distinct `values`, and `valid`, whether each line's NIR is there and valid (each distinct NIR looked up once
    among the invalid ones)."""

    def __init__(self, b: Batch):
        self.codes, self.values = _factorized(b, "nir")
        invalid = b.nir_problems
        valid = np.array([v not in invalid for v in self.values.tolist()] + [False], dtype=bool)
        self.valid = valid[self.codes]  # -1, an empty NIR: the last one, False


def _parent_nir(b: Batch, nirs: _Nirs) -> pd.Series:
    """Lines whose valid NIR states another year and month of birth than the pupil's (a parent's NIR, most often).
    Each distinct NIR is read once."""
    f = b.frame
    usable = nirs.valid & f["date_naissance"].notna().to_numpy()
    parent = np.zeros(len(f), dtype=bool)
    if usable.any():
        codes = nirs.codes[usable]
        year, month, known = nir_birth_months(pd.Series(nirs.values, dtype=object))
        births = f["date_naissance"][usable]
        parent[usable] = known[codes] & ((year[codes] != births.dt.year.to_numpy() % 100)
                                         | (month[codes] != births.dt.month.to_numpy()))
    return pd.Series(parent, index=f.index)


def _beneficiary(b: Batch, parent: pd.Series, factorized: _Nirs) -> tuple[pd.Series, pd.Series]:
    """Who each line is for: the NIR and date of birth (and the first name under a parent's NIR), or, without a valid
    NIR, the last name, first name and date of birth, normalised; as text (None when unknown; hashed before it
    reaches the ledger) and as an integer id (numbered in order of first appearance). Kept in memory only.

    Each distinct identity is spelt once: 'N<nir>', 'N<nir>|<first name>' (a parent's NIR: it is shared with
    brothers and sisters, twins included, and the first name tells them apart), 'P<last name>|<first name>'."""
    f = b.frame
    valid_nir, nir_codes, nirs = factorized.valid, factorized.codes, factorized.values
    nom_codes, noms = _folded(b, "nom")
    prenom_codes, prenoms = _folded(b, "prenom")
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
        days, day_of = np.unique(f["date_naissance"].to_numpy()[rows].astype("datetime64[D]"), return_inverse=True)
        births = days.astype(str)[day_of]  # numpy spells each distinct date once
        labels = np.empty(len(rows), dtype=object)
        labels[:] = [f"{who}|{birth}" for who, birth in zip(spellings[ident[rows]].tolist(), births.tolist(),
                                                             strict=True)]
        text[known] = labels[ids[known]]
    return (pd.Series(text, index=f.index),
            pd.Series(pd.arrays.IntegerArray(np.where(known, ids, 0), ~known), index=f.index))


def _folded(b: Batch, key: str) -> tuple[np.ndarray, list[str]]:
    """(code of each name, -1 where empty; the distinct names folded by norm_label)."""
    codes, distinct = _factorized(b, key)
    return codes, [norm_label(name) for name in distinct]


def _factorized(b: Batch, key: str) -> tuple[np.ndarray, np.ndarray]:
    """`pd.factorize` of a text column of the lines; from the codes of its cells' distinct values (lines.to_frame's)
    when the batch holds them: only those values are factorized, not every line's."""
    if b.distinct is None or key not in b.distinct:
        return pd.factorize(b.frame[key].to_numpy(dtype=object))
    return recoded(*b.distinct[key])
