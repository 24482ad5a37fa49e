"""Realistic bordereaux made by code: the shipped examples, the tests' workbooks and the benchmarks' 100,000 lines.

Names are invented; every NIR is fictitious but valid (right key, birth year and month, Nord département).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

import xlsxwriter

from .money import from_cents, to_cents
from .pricing import split_line
from .reference import COVERAGE_LABELS, Centre, Reference

LAST_NAMES = ("MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND", "LEROY", "MOREAU",
              "SIMON", "LAURENT", "LEFEBVRE", "MICHEL", "GARCIA", "DAVID", "BERTRAND", "ROUX", "VINCENT", "FOURNIER",
              "MOREL", "GIRARD", "ANDRE", "LEFEVRE", "MERCIER", "DUPONT", "LAMBERT", "BONNET", "FRANCOIS", "MARTINEZ",
              "DELATTRE", "DEVOS", "VANDAMME", "DEBRUYNE", "LEMAIRE", "DUHAMEL", "CARPENTIER", "DECLERCQ")
FIRST_NAMES = (("Lucas", "Hugo", "Louis", "Nathan", "Gabriel", "Jules", "Adam", "Arthur", "Raphaël", "Léo", "Noah",
                "Mathis", "Tom", "Ethan", "Sacha"),
               ("Emma", "Jade", "Louise", "Alice", "Chloé", "Lina", "Léa", "Manon", "Rose", "Anna", "Inès", "Camille",
                "Lola", "Zoé", "Mila"))
COVERAGE_MIX = (("droit_commun", 80), ("ald", 3), ("ame", 4), ("c2s", 10), ("sans_droits", 3))
REGIME_MIX = (("01", 88), ("02", 4), ("91", 3), ("04", 2), ("08", 1), ("95", 2))

# (header label, canonical key) in the order of the standard layout
STANDARD_COLUMNS = (
    ("Nom", "nom"), ("Prénom", "prenom"), ("NIR", "nir"), ("Date de naissance", "date_naissance"),
    ("Code régime", "code_regime"), ("Prise en charge", "prise_en_charge"), ("Vaccin", "vaccin"),
    ("Code CIP/UCD", "code_vaccin"), ("Date d'administration", "date_administration"), ("N° de dose", "dose"),
    ("Prix unitaire TTC", "prix_unitaire"), ("Montant AMO", "montant_amo"),
    ("Montant total à rembourser", "montant_total"),
)


def make_nir(rng: random.Random, sex: int, birth: dt.date, dept: str = "59") -> str:
    body = f"{sex}{birth.year % 100:02d}{birth.month:02d}{dept}{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
    return body + f"{97 - int(body) % 97:02d}"


def _pick(rng: random.Random, mix: Iterable[tuple[str, int]]) -> str:
    values, weights = zip(*mix, strict=True)
    return rng.choices(values, weights)[0]


def dose_line(ref: Reference, centre: Centre, pupil: dict, vaccine_code: str, day: dt.date, rank: int) -> dict:
    """A correct line: the negotiated price (or the public price) and the amounts the rules give."""
    vaccine = ref.vaccine_by_code[vaccine_code]
    negotiated = ref.negotiated.get((centre.departement, vaccine.cip13))
    entry = (negotiated.at(day) if negotiated else None) or vaccine.public_price.at(day)
    price = entry.value
    birth = pupil["date_naissance"]
    age = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
    parts = split_line(ref, vaccine.classe, pupil["coverage"], pupil["code_regime"], age, day, price)
    return {
        **{k: v for k, v in pupil.items() if k != "coverage"},
        "prise_en_charge": COVERAGE_LABELS[pupil["coverage"]],
        "vaccin": vaccine.nom.title() if vaccine.nom[0].isalpha() else vaccine.nom,
        "code_vaccin": vaccine.cip13, "date_administration": day, "dose": rank,
        "prix_unitaire": price, "montant_amo": parts.amo, "montant_total": parts.total,
    }


def pupils(rng: random.Random, n: int, school_year_start: int) -> list[dict]:
    """Pupils of 5e: born in the year school_year_start - 12 mostly, some a year earlier or later."""
    out = []
    for _ in range(n):
        sex = rng.choice((1, 2))
        year = school_year_start - 12 + rng.choice((0, 0, 0, 0, -1))
        birth = dt.date(year, rng.randint(1, 12), rng.randint(1, 28))
        coverage = _pick(rng, COVERAGE_MIX)
        no_nir = coverage == "sans_droits" and rng.random() < 0.5
        out.append({
            "nom": rng.choice(LAST_NAMES), "prenom": rng.choice(FIRST_NAMES[sex - 1]),
            "nir": None if no_nir else make_nir(rng, sex, birth),
            "date_naissance": birth, "code_regime": None if no_nir else _pick(rng, REGIME_MIX), "coverage": coverage,
        })
    return out


def campaign_lines(ref: Reference, centre: Centre, n: int, start: dt.date, end: dt.date, seed: int = 1,
                   menacwy_share: float = 0.2) -> list[dict]:
    """`n` correct lines dated within [start, end]: first HPV doses, second doses 5 to 7 months later when the
    period allows, and some MenACWY doses given with the first HPV dose."""
    rng = random.Random(seed)
    span = (end - start).days
    lines: list[dict] = []
    school_year = start.year if start.month >= 8 else start.year - 1
    while len(lines) < n:
        pupil = pupils(rng, 1, school_year)[0]
        first = start + dt.timedelta(days=rng.randint(0, max(span // 3, 0)))
        lines.append(dose_line(ref, centre, pupil, "3400930056202", first, 1))
        if len(lines) < n and rng.random() < menacwy_share:
            lines.append(dose_line(ref, centre, pupil, "3400922253930", first, 1))
        second = first + dt.timedelta(days=rng.randint(155, 215))
        if len(lines) < n and second <= end:
            lines.append(dose_line(ref, centre, pupil, "3400930056202", second, 2))
    lines.sort(key=lambda line: (line["date_administration"], line["nom"]))
    return lines[:n]


def write_bordereau(path: Path, centre: Centre, start: dt.date, end: dt.date, lines: list[dict],
                    columns: Iterable[tuple[str, str]] = STANDARD_COLUMNS, *, sheet: str = "Bordereau",
                    totals: bool = True, big: bool = False, header_block: bool = True) -> Path:
    """Write lines the way a centre's workbook holds them. Values are written as they are: a date as an Excel date,
    a Decimal as a number, a str as text (never as a formula)."""
    columns = list(columns)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": big, "strings_to_formulas": False,
                                           "strings_to_numbers": False})
    ws = book.add_worksheet(sheet)
    bold = book.add_format({"bold": True})
    header = book.add_format({"bold": True, "text_wrap": True, "bg_color": "#DDEBF7", "border": 1})
    date_fmt = book.add_format({"num_format": "dd/mm/yyyy"})
    money_fmt = book.add_format({"num_format": '#,##0.00 "€"'})
    ws.write(0, 0, "Bordereau récapitulatif – Campagne de vaccination HPV au collège", bold)
    first_row = 1
    if header_block:
        ws.write(1, 0, "Centre de vaccination", bold)
        ws.write(1, 1, centre.nom)
        ws.write(2, 0, "FINESS juridique", bold)
        ws.write_string(2, 1, centre.finess_juridique)
        ws.write(3, 0, "FINESS géographique", bold)
        ws.write_string(3, 1, centre.finess_geographique)
        ws.write(4, 0, "Période du", bold)
        ws.write_datetime(4, 1, dt.datetime.combine(start, dt.time()), date_fmt)
        ws.write(4, 2, "au", bold)
        ws.write_datetime(4, 3, dt.datetime.combine(end, dt.time()), date_fmt)
        first_row = 6
    for c, (label, _) in enumerate(columns):
        ws.write_string(first_row, c, label, header)
        ws.set_column(c, c, 16)
    r = first_row
    for r, line in enumerate(lines, start=first_row + 1):
        for c, (_, key) in enumerate(columns):
            _write(ws, r, c, line.get(key), date_fmt, money_fmt)
    if totals and lines:
        r += 1
        ws.write(r, 0, "TOTAL", bold)
        for c, (_, key) in enumerate(columns):
            if key in ("prix_unitaire", "montant_amo", "montant_total"):
                total = sum(to_cents(v) for line in lines if isinstance(v := line.get(key), Decimal))
                ws.write_number(r, c, float(from_cents(total)), money_fmt)
    book.close()
    return path


def _write(ws, r: int, c: int, value: object, date_fmt, money_fmt) -> None:
    if value is None:
        return
    if isinstance(value, dt.date):
        ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_fmt)
    elif isinstance(value, Decimal):
        ws.write_number(r, c, float(value), money_fmt)
    elif isinstance(value, int | float):
        ws.write_number(r, c, value)
    else:
        ws.write_string(r, c, str(value))
