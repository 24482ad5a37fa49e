"""The derived values, line exclusions and table summaries of `check` as they were computed before they were
keyed once per distinct value (bordereau/distinct.py), kept as they were: tests/test_distinct.py compares the two
on workbooks and frames made by code. Row by row or group by group through pandas, slow and plain."""

# ruff: noqa

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from bordereau.check.batch import Batch, fr_date
from bordereau.check.model import TableSummary
from bordereau.check.sheets import TOTALS_ONLY
from bordereau.findings import Finding
from bordereau.identifiers import nir_birth_mismatch
from bordereau.money import from_cents, round_half_up, to_cents
from bordereau.price.split import age_on, billing_base, split
from bordereau.reference.data import Reference
from bordereau.text import norm_label


def _unique_map(frame: pd.DataFrame, keys: list[str], compute) -> list:
    """`compute(*key_values)` once per distinct combination of the key columns, mapped back to every row.

    Missing values reach `compute` as None.
    """
    if frame.empty:
        return []
    groups = frame.groupby(keys, dropna=False, sort=False).ngroup().to_numpy()
    firsts = pd.Series(np.arange(len(frame))).groupby(groups).first().to_numpy()
    distinct = frame[keys].iloc[firsts].astype(object)
    distinct = distinct.where(distinct.notna(), None)
    results = np.empty(len(firsts), dtype=object)
    results[:] = [compute(*values) for values in distinct.itertuples(index=False, name=None)]
    return list(results[groups])


def vaccine_columns(frame: pd.DataFrame, ref: Reference) -> pd.DataFrame:
    """Class, CIP13, public and negotiated unit prices (cents) of each line's vaccine on its date."""
    codes = frame["code_vaccin"]
    out = pd.DataFrame(index=frame.index)
    out["classe"] = codes.map({code: v.classe for code, v in ref.vaccine_by_code.items()})
    out["cip13"] = codes.map({code: v.cip13 for code, v in ref.vaccine_by_code.items()})
    presentations = codes.map({code: p.cip13 for code, p in ref.presentation_by_code.items()})
    dept = frame["finess_geographique"].map({f: c.departement for f, c in ref.centre_by_finess.items()})
    work = pd.DataFrame({"cip13": presentations, "day": frame["date_administration"], "dept": dept})

    def prices(cip13: str | None, day: pd.Timestamp | None, dept: str | None) -> tuple:
        if cip13 is None or day is None:
            return (None, None, None)
        day = day.date()
        vaccine, presentation = ref.vaccine_by_code[cip13], ref.presentation_by_code[cip13]
        public, assumed = presentation.public_price.nearest(day)
        series = ref.negotiated.get((dept, cip13))
        negotiated = series.at(day) if series else None
        per_dose = vaccine.doses_per_pack
        return (
            to_cents(round_half_up(public.value / per_dose)) if public else None,
            to_cents(round_half_up(negotiated.value / per_dose)) if negotiated else None,
            f"{public.start:%d/%m/%Y} ({public.source})" if assumed else None,
        )

    found = _unique_map(work, ["cip13", "day", "dept"], prices)
    out["prix_public"] = pd.array([p[0] for p in found], dtype="Int64")
    out["prix_negocie"] = pd.array([p[1] for p in found], dtype="Int64")
    out["prix_public_suppose"] = [p[2] for p in found]  # before the first observation: the one used (date, source)
    return out


def split_columns(frame: pd.DataFrame, classes: pd.Series, ref: Reference, prices: pd.Series | None = None
                  ) -> pd.DataFrame:
    """AMO, complementary, total and FIR parts (cents) of every line that can be priced; <NA> for the others.

    A line can be priced when its vaccine, coverage, date of administration and price are known and a rate set is in
    force that day. `motif` names the rule applied; `rate_missing` flags lines dated outside every rate set. `prices`
    (cents) replaces the line's unit price as the base (the capped price).
    """
    ages = age_on(frame["date_naissance"], frame["date_administration"]) if "date_naissance" in frame else None
    work = pd.DataFrame({
        "classe": classes,
        "coverage": frame.get("prise_en_charge"),
        "regime": frame.get("code_regime"),
        "age": ages if ages is not None else pd.Series(pd.NA, index=frame.index, dtype="Int64"),
        "prix": frame["prix_unitaire"] if prices is None else prices,
    }, index=frame.index)
    starts = np.array([np.datetime64(s.start, "s") for s in ref.rate_sets])
    days = frame["date_administration"].to_numpy()
    set_index = np.searchsorted(starts, days, side="right") - 1
    ends = np.array([np.datetime64(s.end, "s") if s.end else np.datetime64("9999-12-31", "s") for s in ref.rate_sets])
    if len(ends):  # a day after the end (`au`) of the rate set in force is in none
        set_index = np.where((set_index >= 0) & (days > ends[np.clip(set_index, 0, None)]), -1, set_index)
    work["set"] = np.where(frame["date_administration"].isna(), -2, set_index)

    def rule(set_i: int, classe: str | None, coverage: str | None, regime: str | None, age: int | None) -> tuple:
        if set_i < 0 or classe is None or coverage is None:
            return (None, None, None)
        found = ref.rate_sets[set_i].rule_for(classe, coverage, regime, age)
        return (found.amo, found.total, found.motif) if found else (None, None, None)

    rates = _unique_map(work, ["set", "classe", "coverage", "regime", "age"], rule)
    work["a"] = [r[0] for r in rates]
    work["t"] = [r[1] for r in rates]

    def parts(prix: int | None, a: Decimal | None, t: Decimal | None) -> tuple:
        if prix is None or a is None:
            return (None,) * 4
        s = split(from_cents(prix), a, t)
        return (to_cents(s.amo), to_cents(s.complementaire), to_cents(s.total), to_cents(s.fir))

    amounts = _unique_map(work, ["prix", "a", "t"], parts)
    out = pd.DataFrame(index=frame.index)
    for i, name in enumerate(("amo", "complementaire", "total", "fir")):
        out[name] = pd.array([p[i] for p in amounts], dtype="Int64")
    out["motif"] = [r[2] for r in rates]
    out["rate_missing"] = (work["set"] == -1).to_numpy() & frame["date_administration"].notna().to_numpy()
    return out


def derive(b: Batch) -> pd.DataFrame:
    """Values the rules share: vaccine class and prices, split, age, centre, beneficiary key, duplicates."""
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
    keys = pd.DataFrame({"w": d["beneficiaire"], "v": d["vaccin_id"], "t": f["date_administration"]})
    d["doublon"] = keys.notna().all(axis=1) & keys.duplicated(keep="first")
    return d


def _parent_nir(b: Batch) -> pd.Series:
    """Lines whose valid NIR states another year and month of birth than the pupil's (a parent's NIR, most often)."""
    f = b.frame
    usable = f["nir"].notna() & ~f["nir"].isin(list(b.nir_problems)) & f["date_naissance"].notna()
    parent = pd.Series(False, index=f.index)
    parent[usable] = nir_birth_mismatch(f.loc[usable, "nir"], f.loc[usable, "date_naissance"])
    return parent


def _beneficiary(b: Batch, parent: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Who each line is for: the NIR and date of birth (and the first name under a parent's NIR), or, without a valid
    NIR, the last name, first name and date of birth, normalised; as text (None when unknown; hashed before it
    reaches the ledger) and as an integer id. Kept in memory only."""
    f = b.frame
    valid_nir = f["nir"].notna() & ~f["nir"].isin(list(b.nir_problems))
    names = _normalised(f["nom"]) + "|" + _normalised(f["prenom"])
    by_nir = "N" + f["nir"].astype(object).where(valid_nir, "")
    # a pupil billed under a parent's NIR shares it with brothers and sisters, twins included: the first name tells
    # them apart
    by_nir = by_nir.where(~parent, by_nir + "|" + _normalised(f["prenom"]).fillna(""))
    who = pd.DataFrame({"id": by_nir.where(valid_nir, "P" + names), "birth": f["date_naissance"]})
    ids = who.groupby(["id", "birth"], sort=False).ngroup()  # -1 where a part is missing
    births = pd.Series(f["date_naissance"].to_numpy().astype("datetime64[D]").astype(str), index=f.index)
    text = (who["id"] + "|" + births).where(ids >= 0, None)
    return text, ids.astype("Int64").where(ids >= 0)


def _normalised(names: pd.Series) -> pd.Series:
    """Names folded by norm_label, as text (None where empty, a column of nothing but empty names included).

    >>> _normalised(pd.Series([None, None])).tolist(), _normalised(pd.Series(["Dupont ", None])).tolist()
    ([None, None], ['dupont', None])
    """
    distinct = names.dropna().unique()
    folded = names.map(dict(zip(distinct, map(norm_label, distinct), strict=True))).astype(object)
    return folded.where(folded.notna(), None)


def duplicates(b: Batch) -> Iterable[Finding]:
    d = b.derived
    keyed = d.loc[d["beneficiaire"].notna() & d["vaccin_id"].notna() & b.frame["date_administration"].notna()]
    keys = keyed[["beneficiaire", "vaccin_id"]].assign(day=b.frame["date_administration"])
    repeated = keys.duplicated(keep="first")
    first = keys.drop_duplicates(keep="first").reset_index().set_index(["beneficiaire", "vaccin_id", "day"])["index"]
    for i in keys.index[repeated]:
        original = first[tuple(keys.loc[i])]
        yield b.line("DUPLICATE_LINE", i, "date_administration", other=b.where(original))


def finess_groups(frame: pd.DataFrame) -> dict:
    """The (FINESS géographique, juridique) groups of sheets.finess."""
    geo = frame["finess_geographique"] if "finess_geographique" in frame else pd.Series(dtype=object)
    legal = frame["finess_juridique"] if "finess_juridique" in frame else pd.Series(None, index=frame.index)
    pairs = pd.DataFrame({"geo": geo, "legal": legal}).astype(object)
    pairs = pairs.where(pairs.notna(), None)
    groups = pairs.groupby(["geo", "legal"], dropna=False, sort=False).groups
    return {tuple(None if v is None or v != v else v for v in key): rows for key, rows in groups.items()}


def _mark_excluded(lines: pd.DataFrame, findings: list[Finding], tables: dict) -> pd.DataFrame:
    """A line is excluded when an error touches it, its sheet or its file."""
    errors = [f for f in findings if f.severity == "error" and f.code not in TOTALS_ONLY]
    bad_files = {f.path for f in errors if f.sheet is None}
    dose_rows = {key: set(t.row_numbers) for key, t in tables.items()}
    bad_sheets = {(f.path, f.sheet) for f in errors if f.sheet is not None
                  and f.row not in dose_rows.get((f.path, f.sheet), ())}
    bad_lines = {(f.path, f.sheet, f.row) for f in errors if f.row is not None}
    if not errors:
        lines["excluded"] = False
        return lines
    keys = list(zip(lines["path"], lines["sheet"], lines["row"], strict=True))
    lines["excluded"] = [k[0] in bad_files or k[:2] in bad_sheets or k in bad_lines for k in keys]
    return lines


def _summaries(files: list[Path], tables: dict, lines: pd.DataFrame, findings: list[Finding]) -> list[TableSummary]:
    counts: dict[tuple, list[int]] = {}
    for f in findings:
        c = counts.setdefault((f.path, f.sheet), [0, 0])
        c[f.severity != "error"] += 1
    out = []
    for path in map(str, files):
        keys = [k for k in tables if k[0] == path]
        if not keys:
            e, w = counts.get((path, None), [0, 0])
            out.append(TableSummary(path, None, None, None, None, 0, e, w))
        for key in keys:
            table = tables[key]
            e, w = counts.get(key, [0, 0])
            fe, fw = counts.get((path, None), [0, 0]) if key == keys[0] else (0, 0)
            geo = _first(lines, key, "finess_geographique") or (table.block.get("finess_geographique") or (None,))[0]
            centre, cpam = _first(lines, key, "centre"), _first(lines, key, "cpam")
            if centre is None and "centre" in table.block:
                centre = str(table.block["centre"][0])
            out.append(TableSummary(path, table.sheet, centre, geo, cpam, len(table.rows), e + fe, w + fw))
    return out


def _first(lines: pd.DataFrame, key: tuple, column: str) -> str | None:
    if column not in lines or lines.empty:
        return None
    values = lines.loc[(lines["path"] == key[0]) & (lines["sheet"] == key[1]), column].dropna()
    return str(values.iloc[0]) if len(values) else None
