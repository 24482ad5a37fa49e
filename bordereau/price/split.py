"""The reimbursement split of a line, exact to the cent, with the rules in force on its date of administration.

    total = round_half_up(P * t / 100)    amo = round_half_up(P * a / 100)
    complementaire = total - amo          fir = P - total

so that amo + complementaire + fir == P on every line. Frames carry money as integer cents; the arithmetic runs in
Decimal once per distinct (price, rates), never per row and never in float.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from bordereau.distinct import group_codes, int_column, object_column, recoded, rows_of
from bordereau.money import from_cents, round_half_up, to_cents
from bordereau.reference.data import Reference


@dataclass(frozen=True)
class Split:
    prix: Decimal
    amo: Decimal
    complementaire: Decimal
    total: Decimal
    fir: Decimal


def split(price: Decimal, amo_rate: Decimal, total_rate: Decimal) -> Split:
    """Split one unit price.

    >>> s = split(Decimal("98.50"), Decimal("65"), Decimal("65"))
    >>> s.amo, s.complementaire, s.total, s.fir
    (Decimal('64.03'), Decimal('0.00'), Decimal('64.03'), Decimal('34.47'))
    """
    total = round_half_up(price * total_rate / 100)
    amo = round_half_up(price * amo_rate / 100)
    return Split(price, amo, total - amo, total, price - total)


def age_on(birth: pd.Series, day: pd.Series) -> pd.Series:
    """Whole years of age on a day (nullable Int64), vectorised."""
    years = day.dt.year - birth.dt.year
    before_birthday = (day.dt.month < birth.dt.month) | ((day.dt.month == birth.dt.month) & (day.dt.day < birth.dt.day))
    return (years - before_birthday.astype("Int64")).astype("Int64")


def mapped(column: pd.Series, mapping: dict, distinct: tuple[np.ndarray, list] | None = None) -> pd.Series:
    """`column.map(mapping)`; with `distinct` (the code of each cell's distinct value and those values, None for a
    missing one: lines.to_frame's), the distinct values are mapped, and taken to the cells by their codes. The
    values mapped are those of the column, each once, so the result has the dtype `map` gives the whole column.

    >>> column = pd.Series(["a", "b", None, "a"], dtype="str")
    >>> mapped(column, {"a": 1}, (np.array([0, 1, -1, 0]), ["a", "b", None])).tolist()
    [1.0, nan, nan, 1.0]
    """
    if distinct is None:
        return column.map(mapping)
    codes, uniques = recoded(*distinct)
    values = uniques.tolist()
    where = codes.copy()
    if (codes < 0).any():  # a missing cell: a missing value among those mapped
        where[codes < 0] = len(values)
        values.append(None)
    small = pd.Series(values, dtype=column.dtype).map(mapping)
    return pd.Series(small.array.take(where), index=column.index)


def vaccine_columns(frame: pd.DataFrame, ref: Reference, distinct: dict | None = None) -> pd.DataFrame:
    """Class, CIP13, public and negotiated unit prices (cents) of each line's vaccine on its date. `distinct`: the
    distinct values of the text columns (lines.to_frame's), when the frame is that one table's."""
    codes = frame["code_vaccin"]
    coded = (distinct or {}).get("code_vaccin")
    out = pd.DataFrame(index=frame.index)
    out["classe"] = mapped(codes, {code: v.classe for code, v in ref.vaccine_by_code.items()}, coded)
    out["cip13"] = mapped(codes, {code: v.cip13 for code, v in ref.vaccine_by_code.items()}, coded)
    presentations = mapped(codes, {code: p.cip13 for code, p in ref.presentation_by_code.items()}, coded)
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

    rows, found = rows_of(work, ["cip13", "day", "dept"], prices)
    out["prix_public"] = int_column([p[0] for p in found], rows)
    out["prix_negocie"] = int_column([p[1] for p in found], rows)
    out["prix_public_suppose"] = object_column([p[2] for p in found], rows)  # before the first observation: the one
    # used (date, source)
    return out


def billing_base(given: pd.Series, public: pd.Series, negotiated: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The price each line is billed at, and the lines whose negotiated price is capped at the public price.

    The base is the negotiated price "dans la limite du prix public TTC": a line carrying the negotiated price while
    the public price that day is lower is billed at the public price. Any other price is billed as given (the rules
    say whether it may be).
    """
    capped = (given.notna() & (given == negotiated) & (negotiated > public)).fillna(False).astype(bool)
    return given.where(~capped, public), capped


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

    rate_rows, rates = rows_of(work, ["set", "classe", "coverage", "regime", "age"], rule)
    # a split per distinct (price, amo rate, total rate): equal rates found under two keys are one
    rate_of, rate_firsts = group_codes([pd.Series([r[0] for r in rates], dtype=object),
                                        pd.Series([r[1] for r in rates], dtype=object)])
    pairs = [rates[i][:2] for i in rate_firsts]
    rate_codes = rate_of[rate_rows]

    def parts(prix: int | None, rate: int) -> tuple:
        a, t = pairs[rate]
        if prix is None or a is None:
            return (None,) * 4
        s = split(from_cents(prix), a, t)
        return (to_cents(s.amo), to_cents(s.complementaire), to_cents(s.total), to_cents(s.fir))

    keyed = pd.DataFrame({"prix": work["prix"], "rate": rate_codes}, index=frame.index)
    rows, amounts = rows_of(keyed, ["prix", "rate"], parts)
    out = pd.DataFrame(index=frame.index)
    for i, name in enumerate(("amo", "complementaire", "total", "fir")):
        out[name] = int_column([p[i] for p in amounts], rows)
    out["motif"] = object_column([r[2] for r in rates], rate_rows)
    out["rate_missing"] = (work["set"] == -1).to_numpy() & frame["date_administration"].notna().to_numpy()
    return out


def split_line(ref: Reference, classe: str, coverage: str, regime: str | None, age: int | None, day: dt.date,
               price: Decimal) -> Split:
    """The split of one line with the rule in force on `day` (for tests, samples and explanations)."""
    rate_set = ref.rate_set_at(day)
    if rate_set is None:  # before the first, or after the end of the last
        raise ValueError(f"no rate set in force on {day}")
    rule = rate_set.rule_for(classe, coverage, regime, age)
    if rule is None:
        raise ValueError(f"no rule for {classe} {coverage} on {day}")
    return split(price, rule.amo, rule.total)
