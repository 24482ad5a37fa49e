"""Realistic bordereaux made by code: the shipped examples, the tests' workbooks and the benchmarks' 100,000 lines.

Names are invented; every NIR is fictitious but valid (right key, birth year and month, Nord département).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from bordereau.errors import UsageError
from bordereau.money import from_cents, to_cents
from bordereau.price.split import split_line
from bordereau.reference.data import COVERAGE_LABELS, Centre, Reference
from bordereau.render.xlsx import Workbook

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
    """A correct line: the negotiated price (or the public price) and the amounts the rules give (on the negotiated
    price capped at the public price)."""
    vaccine, presentation = ref.vaccine_by_code[vaccine_code], ref.presentation_by_code[vaccine_code]
    negotiated = ref.negotiated.get((centre.departement, presentation.cip13))
    public, _ = presentation.public_price.nearest(day)
    entry = (negotiated.at(day) if negotiated else None) or public
    price = entry.value
    birth = pupil["date_naissance"]
    age = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
    parts = split_line(ref, vaccine.classe, pupil["coverage"], pupil["code_regime"], age, day, min(price, public.value))
    return {
        **{k: v for k, v in pupil.items() if k != "coverage"},
        "prise_en_charge": COVERAGE_LABELS[pupil["coverage"]],
        "vaccin": vaccine.nom.title() if vaccine.nom[0].isalpha() else vaccine.nom,
        "code_vaccin": presentation.cip13, "date_administration": day, "dose": rank,
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
    seen: set[tuple] = set()
    while len(lines) < n:
        pupil = pupils(rng, 1, school_year)[0]
        who = (pupil["nir"] or (pupil["nom"], pupil["prenom"]), pupil["date_naissance"])
        if who in seen:  # two pupils drawn alike would be one beneficiary with too many doses
            continue
        seen.add(who)
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
    book = Workbook(str(path), {"constant_memory": big, "strings_to_formulas": False,
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
        label_at = next((c for c, (_, key) in enumerate(columns) if key not in ("prix_unitaire", "montant_amo",
                                                                               "montant_total")), 0)
        ws.write(r, label_at, "TOTAL", bold)
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


# A centre's own layout: other labels (no accents, line breaks, stars), another order, an extra column,
# text dates, French text prices, NIR typed with spaces, no amount columns.
FREE_COLUMNS = (
    ("Collège", "college"), ("NOM DU BENEFICIAIRE*", "nom"), ("Prenom*", "prenom"),
    ("Date de\nnaissance", "date_naissance"), ("N° de sécurité sociale", "nir"), ("Régime", "code_regime"),
    ("Situation", "prise_en_charge"), ("Date de vaccination", "date_administration"), ("Nom du vaccin", "vaccin"),
    ("CIP13", "code_vaccin"), ("Rang de la dose", "dose"), ("Prix unitaire facturé TTC", "prix_unitaire"),
)
COLLEGES = ("Collège Jean Macé", "Collège Albert Camus", "Collège Jules Ferry", "Collège Victor Hugo",
            "Collège Jean Jaurès", "Collège Anne Frank")


def free_layout(lines: list[dict], rng: random.Random) -> list[dict]:
    out = []
    for line in lines:
        nir = line.get("nir")
        out.append({
            **line, "college": rng.choice(COLLEGES),
            "date_naissance": _text_date(line["date_naissance"]),
            "date_administration": _text_date(line["date_administration"]),
            "nir": f"{nir[0]} {nir[1:3]} {nir[3:5]} {nir[5:7]} {nir[7:10]} {nir[10:13]} {nir[13:]}" if nir else None,
            "prix_unitaire": f"{line['prix_unitaire']:.2f} €".replace(".", ","),
        })
    return out


def _text_date(value: object) -> object:
    return value.strftime("%d/%m/%Y") if isinstance(value, dt.date) else value


def plant_errors(ref: Reference, centre: Centre, lines: list[dict], end: dt.date) -> list[dict]:
    """The mistakes centres make most, one per line from the start (needs 20 lines); see examples/README.md."""
    from stdnum import ean

    lines = [dict(line) for line in lines]
    hpv = [i for i, line in enumerate(lines) if line["code_vaccin"] == "3400930056202" and line.get("nir")]
    if len(hpv) < 16:  # it failed with « Erreur inattendue (IndexError) »
        raise UsageError(f"--erreurs : {len(lines)} lignes ne suffisent pas pour y placer les 16 erreurs typiques "
                         "(demandez-en davantage, --lines 40 par exemple)")
    a = hpv[:16]
    nir = lines[a[0]]["nir"]
    lines[a[0]]["nir"] = nir[:13] + f"{(int(nir[13:]) + 1) % 100:02d}"  # wrong key
    lines[a[1]]["nir"] = make_nir(random.Random(7), 1, dt.date(1982, 5, 14))  # a parent's NIR
    lines[a[2]]["date_administration"] = None  # forgotten date
    lines[a[3]]["date_naissance"] = "31/02/2014"  # impossible date
    lines[a[4]]["date_administration"] = dt.date(end.year + 1, 1, 15)  # typed a year ahead
    lines[a[5]]["code_regime"] = "88"
    lines[a[6]]["prise_en_charge"] = "Mutuelle"
    lines[a[7]]["code_vaccin"] = "3400930056203"  # wrong EAN-13 key
    lines[a[8]]["code_vaccin"] = "340093000001" + ean.calc_check_digit("340093000001")  # not a vaccine of the tarifs
    lines[a[9]]["prix_unitaire"] = Decimal("120.00")  # above the public price
    lines[a[10]]["prix_unitaire"] = Decimal("100.00")  # not the negotiated price
    lines[a[11]]["montant_amo"] = lines[a[11]]["montant_amo"] + Decimal("0.01")
    lines.append(dict(lines[a[12]]))  # typed twice
    second = dict(lines[a[13]])
    second["date_administration"] = min(second["date_administration"] + dt.timedelta(days=20), end)
    second["dose"] = 2
    lines.append(second)  # second dose far too early
    older = lines[a[14]]
    older["date_naissance"] = dt.date(older["date_naissance"].year - 4, older["date_naissance"].month, 10)
    older["nir"] = make_nir(random.Random(8), int(older["nir"][0]), older["date_naissance"])  # 16 or 17 years old
    lines[a[15]]["vaccin"] = "Cervarix"  # name of another vaccine than the code's
    return lines


def example_workbook(path: Path, ref: Reference, centre: Centre, start: dt.date, end: dt.date, n: int,
                     seed: int = 1, errors: bool = False, layout: str = "standard") -> Path:
    lines = campaign_lines(ref, centre, n, start, end, seed)
    if errors:
        lines = plant_errors(ref, centre, lines, end)
    if layout == "libre":
        return write_bordereau(path, centre, start, end, free_layout(lines, random.Random(seed)), FREE_COLUMNS,
                               sheet="Vaccinations", totals=False)
    return write_bordereau(path, centre, start, end, lines, big=n > 20_000)
