"""Writing an export: per CPAM the bordereaux, the recap workbook and page, manifest.json and LISEZMOI.txt; the FIR
statement for the Département; the lines to correct. Strings are always written as text (never as formulas)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from pathlib import Path

import pandas as pd
import xlsxwriter

from ..export import Bordereau, ExportPlan
from ..files import distinct_names
from ..money import as_json, format_eur, from_cents
from ..reference import COVERAGE_LABELS
from ..totals import PARTS, Sums
from ..xlsx import Workbook
from .html import render

MONEY = '#,##0.00 "€"'
# exported table: (header, source column, kind)
TABLE = (
    ("N° de ligne", "ligne", "number"), ("Nom", "nom", "text"), ("Prénom", "prenom", "text"), ("NIR", "nir", "text"),
    ("Date de naissance", "date_naissance", "date"), ("Code régime", "code_regime", "text"),
    ("Prise en charge", "prise_en_charge", "coverage"), ("Vaccin", "vaccin", "text"),
    ("Code CIP/UCD", "code_vaccin", "text"), ("Date d'administration", "date_administration", "date"),
    ("N° de dose", "dose", "text"), ("Prix unitaire TTC", "prix_unitaire", "money"),
    ("Montant AMO", "amo", "money"), ("Montant AMC", "complementaire", "money"),
    ("Montant total à rembourser", "total", "money"),
)


def _book(path: Path, big: bool = False) -> tuple[xlsxwriter.Workbook, dict]:
    book = Workbook(str(path), {"constant_memory": big, "strings_to_formulas": False,
                                           "strings_to_numbers": False, "strings_to_urls": False})
    formats = {
        "bold": book.add_format({"bold": True}), "title": book.add_format({"bold": True, "font_size": 14}),
        "head": book.add_format({"bold": True, "text_wrap": True, "bg_color": "#DDEBF7", "border": 1}),
        "date": book.add_format({"num_format": "dd/mm/yyyy"}), "money": book.add_format({"num_format": MONEY}),
        "money_bold": book.add_format({"num_format": MONEY, "bold": True}),
    }
    return book, formats


def _column_values(lines: pd.DataFrame, column: str, kind: str) -> list:
    values = lines[column]
    if kind == "date":
        return [None if pd.isna(v) else v for v in values.dt.to_pydatetime()]
    if kind == "money":
        return [None if pd.isna(v) else int(v) / 100 for v in values]
    if kind == "coverage":
        return [COVERAGE_LABELS.get(v, "") for v in values]
    if kind == "number":
        return list(range(1, len(lines) + 1)) if column == "ligne" else [int(v) for v in values]
    return [None if v is None or v != v else str(v) for v in values]


def write_bordereau(path: Path, b: Bordereau) -> None:
    """A bordereau in the layout the centres know: header block, table with computed amounts, totals, signature."""
    book, f = _book(path, big=len(b.lines) > 20_000)
    ws = book.add_worksheet("Bordereau")
    ws.write_string(0, 0, "Bordereau récapitulatif – Campagne de vaccination HPV au collège", f["title"])
    block = (("Centre de vaccination", b.centre.nom), ("FINESS juridique", b.centre.finess_juridique),
             ("FINESS géographique", b.centre.finess_geographique), ("CPAM", f"{b.cpam.code} – {b.cpam.nom}"),
             ("N° de bordereau", b.number))
    for r, (label, value) in enumerate(block, start=1):
        ws.write_string(r, 0, label, f["bold"])
        ws.write_string(r, 1, value)
    r = len(block) + 1
    ws.write_string(r, 0, "Période du", f["bold"])
    ws.write_datetime(r, 1, dt.datetime.combine(b.start, dt.time()), f["date"])
    ws.write_string(r, 2, "au", f["bold"])
    ws.write_datetime(r, 3, dt.datetime.combine(b.end, dt.time()), f["date"])
    head = r + 2
    for c, (label, _, _) in enumerate(TABLE):
        ws.write_string(head, c, label, f["head"])
    ws.set_column(0, len(TABLE) - 1, 15)
    columns = [_column_values(b.lines, column, kind) for _, column, kind in TABLE]
    kinds = [kind for _, _, kind in TABLE]
    for i, row in enumerate(zip(*columns, strict=True), start=head + 1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if kinds[c] == "date":
                ws.write_datetime(i, c, value, f["date"])
            elif kinds[c] in ("money", "number"):
                ws.write_number(i, c, value, f["money"] if kinds[c] == "money" else None)
            else:
                ws.write_string(i, c, value)
    last = head + len(b.lines) + 1
    ws.write_string(last, 0, "TOTAL", f["bold"])
    for c, (_, column, _) in enumerate(TABLE):
        part = "prix" if column == "prix_unitaire" else column
        if part in PARTS:
            ws.write_number(last, c, float(getattr(b.sums, part)), f["money_bold"])
    ws.write_string(last + 2, 0, f"Nombre de lignes : {b.sums.lines}")
    ws.write_string(last + 4, 0, "Fait à ……………………………, le ……………………", f["bold"])
    ws.write_string(last + 5, 0, "Le responsable du centre : daté, signé et cacheté", f["bold"])
    book.close()


def _sums_row(ws, r: int, c: int, s: Sums, fmt) -> None:
    ws.write_number(r, c, s.lines)
    for k, part in enumerate(PARTS):
        ws.write_number(r, c + 1 + k, float(getattr(s, part)), fmt)


SUM_HEADERS = ("Lignes", "Prix", "AMO", "Complémentaire", "Total CPAM", "FIR")


def write_recap(path: Path, bordereaux: list[Bordereau], total: Sums) -> None:
    book, f = _book(path)
    ws = book.add_worksheet("Bordereaux")
    ws.write_row(0, 0, ("N° de bordereau", "Centre", "FINESS géographique", "Période du", "au", *SUM_HEADERS),
                 f["head"])
    for r, b in enumerate(bordereaux, start=1):
        ws.write_string(r, 0, b.number)
        ws.write_string(r, 1, b.centre.nom)
        ws.write_string(r, 2, b.centre.finess_geographique)
        ws.write_datetime(r, 3, dt.datetime.combine(b.start, dt.time()), f["date"])
        ws.write_datetime(r, 4, dt.datetime.combine(b.end, dt.time()), f["date"])
        _sums_row(ws, r, 5, b.sums, f["money"])
    r = len(bordereaux) + 1
    ws.write_string(r, 0, "TOTAL", f["bold"])
    _sums_row(ws, r, 5, total, f["money_bold"])
    ws.set_column(0, 0, 34)
    ws.set_column(1, 10, 16)
    regimes = book.add_worksheet("Par régime")
    regimes.write_row(0, 0, ("N° de bordereau", "Code régime", "Régime", *SUM_HEADERS), f["head"])
    r = 0
    for b in bordereaux:
        for g in b.by_regime:
            r += 1
            regimes.write_string(r, 0, b.number)
            regimes.write_string(r, 1, g.key)
            regimes.write_string(r, 2, g.label)
            _sums_row(regimes, r, 3, g.sums, f["money"])
    regimes.set_column(0, 0, 34)
    regimes.set_column(1, 8, 16)
    book.close()


def _regime_totals(bordereaux: list[Bordereau]) -> list[dict]:
    merged: dict[str, list] = {}
    for b in bordereaux:
        for g in b.by_regime:
            entry = merged.setdefault(g.key, [g.label, []])
            entry[1].append(g.sums)
    return [{"key": k, "label": label, "sums": _add(items)} for k, (label, items) in sorted(merged.items())]


def _add(items: list[Sums]) -> Sums:
    return Sums(sum(s.lines for s in items), *(sum((getattr(s, p) for s in items), from_cents(0)) for p in PARTS))


def write_cpam(folder: Path, export: ExportPlan, code: str) -> list[Path]:
    bordereaux = export.bordereaux[code]
    cpam = bordereaux[0].cpam
    folder.mkdir()
    written = []
    for b in bordereaux:
        write_bordereau(folder / b.file_name, b)
        written.append(folder / b.file_name)
    total = _add([b.sums for b in bordereaux])
    recap = folder / f"recapitulatif-{code}.xlsx"
    write_recap(recap, bordereaux, total)
    page = folder / f"recapitulatif-{code}.html"
    page.write_text(render("recap.html.j2", cpam=cpam, bordereaux=bordereaux, total=total,
                           regimes=_regime_totals(bordereaux), eur=format_eur, notices=export.cpam_notices[code],
                           created=export.created), encoding="utf-8")
    readme = folder / "LISEZMOI.txt"
    readme.write_text(_lisezmoi(cpam, bordereaux, total, export), encoding="utf-8")
    written += [recap, page, readme]
    manifest = {
        "cpam": cpam.code, "label": cpam.nom, "recipient": cpam.email,
        "period": {"start": min(b.start for b in bordereaux).isoformat(),
                   "end": max(b.end for b in bordereaux).isoformat()},
        "created": export.created.isoformat(timespec="seconds"),
        "files": [{"name": b.file_name, "sha256": _sha256(folder / b.file_name), "centre": b.centre.nom,
                   "finess_geographique": b.centre.finess_geographique, "number": b.number,
                   "lines": b.sums.lines, "total": as_json(b.sums.total)} for b in bordereaux],
        "other_files": [{"name": p.name, "sha256": _sha256(p)} for p in (recap, page, readme)],
        "total": {"lines": total.lines, **{p: as_json(getattr(total, p)) for p in PARTS if p != "fir"}},
        "example_data": export.cpam_notices[code],
        "ledger": export.ledger,  # the identity of the ledger that numbered these bordereaux (None: --no-ledger)
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return [*written, folder / "manifest.json"]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _lisezmoi(cpam, bordereaux: list[Bordereau], total: Sums, export: ExportPlan) -> str:
    lines = [
        f"Bordereaux de la campagne de vaccination HPV au collège pour la {cpam.nom} (caisse {cpam.code})",
        f"Préparés le {export.created:%d/%m/%Y à %H:%M}.",
        "",
        "À déposer sur PETRA, le service de dépôt sécurisé de fichiers de l'Assurance Maladie, à l'intention de :",
        f"    {cpam.email}",
        "",
        "Avant le dépôt : imprimer chaque bordereau et le récapitulatif, les dater, signer et cacheter.",
        "La CPAM dispose de deux mois à compter de la réception pour payer.",
        "",
        "Fichiers :",
        *(f"    {b.file_name}  {b.centre.nom}, du {b.start:%d/%m/%Y} au {b.end:%d/%m/%Y}, {b.sums.lines} lignes, "
          f"{format_eur(b.sums.total)}" for b in bordereaux),
        f"    recapitulatif-{cpam.code}.xlsx et recapitulatif-{cpam.code}.html : récapitulatif, par régime aussi",
        "    manifest.json : empreintes SHA-256 des fichiers, pour vérifier qu'ils n'ont pas été modifiés",
        "",
        f"Total à rembourser par la CPAM : {format_eur(total.total)} (AMO {format_eur(total.amo)}, "
        f"complémentaire {format_eur(total.complementaire)}) pour {total.lines} lignes.",
    ]
    notices = export.cpam_notices[cpam.code]
    if notices:
        lines += ["", "ATTENTION : données de référence d'exemple, à remplacer avant tout envoi réel :",
                  *(f"    {n}" for n in notices)]
    return "\n".join(lines) + "\n"


def write_fir(folder: Path, export: ExportPlan) -> list[Path]:
    """The Département's FIR statement: per centre, the sans-droits lines (100 % FIR) and the FIR part of the
    others; the sans-droits lines listed without NIR nor date of birth."""
    folder.mkdir()
    path = folder / "etat-fir.xlsx"
    book, f = _book(path)
    ws = book.add_worksheet("Par centre")
    ws.write_row(0, 0, ("Centre", "FINESS géographique", "Lignes sans droits", "Prix sans droits",
                        "FIR sans droits", "Autres lignes", "Prix autres lignes", "FIR ticket modérateur",
                        "FIR total"), f["head"])
    for r, c in enumerate(export.fir, start=1):
        ws.write_string(r, 0, c.centre.nom)
        ws.write_string(r, 1, c.centre.finess_geographique)
        ws.write_number(r, 2, c.no_rights.lines)
        ws.write_number(r, 3, float(c.no_rights.prix), f["money"])
        ws.write_number(r, 4, float(c.no_rights.fir), f["money"])
        ws.write_number(r, 5, c.others.lines)
        ws.write_number(r, 6, float(c.others.prix), f["money"])
        ws.write_number(r, 7, float(c.others.fir), f["money"])
        ws.write_number(r, 8, float(c.fir), f["money_bold"])
    ws.set_column(0, 8, 18)
    detail = book.add_worksheet("Sans droits")
    detail.write_row(0, 0, ("Centre", "Nom", "Prénom", "Date d'administration", "Vaccin", "Prix unitaire TTC", "FIR"),
                     f["head"])
    names = {c.centre.finess_geographique: c.centre.nom for c in export.fir}
    lines = export.no_rights_lines
    for r, row in enumerate(lines.itertuples(index=False), start=1):
        detail.write_string(r, 0, names[row.finess_geographique])
        detail.write_string(r, 1, str(row.nom or ""))
        detail.write_string(r, 2, str(row.prenom or ""))
        detail.write_datetime(r, 3, row.date_administration.to_pydatetime(), f["date"])
        detail.write_string(r, 4, str(row.vaccin or ""))
        detail.write_number(r, 5, int(row.prix_unitaire) / 100, f["money"])
        detail.write_number(r, 6, int(row.fir) / 100, f["money"])
    detail.set_column(0, 6, 18)
    book.close()
    page = folder / "etat-fir.html"
    page.write_text(render("fir.html.j2", centres=export.fir, eur=format_eur, created=export.created,
                           no_rights=_add([c.no_rights for c in export.fir]),
                           others=_add([c.others for c in export.fir]),
                           total=_add([c.no_rights for c in export.fir] + [c.others for c in export.fir]),
                           notices=export.notices), encoding="utf-8")
    return [path, page]


REJECT_COLUMNS = (("Fichier", "path"), ("Feuille", "sheet"), ("Ligne", "row"),
                  *((label, f"{column}_raw") for label, column, _ in TABLE[1:12]))


def write_rejected(folder: Path, export: ExportPlan, messages: dict[tuple, list[str]]) -> list[Path]:
    """The lines left out, as the centres typed them, with what to correct: one workbook per source file."""
    folder.mkdir()
    written = []
    names = distinct_names(sorted({Path(p) for p in export.rejected["path"]}), "-a-corriger.xlsx")
    for path, lines in export.rejected.groupby("path", sort=True):
        target = folder / names[Path(path)]
        book, f = _book(target)
        ws = book.add_worksheet("A corriger")
        ws.write_row(0, 0, (*(label for label, _ in REJECT_COLUMNS), "Anomalies"), f["head"])
        for r, row in enumerate(lines.itertuples(index=False), start=1):
            record = row._asdict()
            for c, (_, column) in enumerate(REJECT_COLUMNS):
                value = record.get(column)
                if isinstance(value, dt.datetime | dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()) if not isinstance(
                        value, dt.datetime) else value, f["date"])
                elif isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
                    ws.write_number(r, c, value)
                elif value is not None and value != "" and not (isinstance(value, float) and math.isnan(value)):
                    ws.write_string(r, c, str(value))
            ws.write_string(r, len(REJECT_COLUMNS), " ; ".join(messages.get((path, row.sheet, row.row), [])))
        ws.set_column(0, len(REJECT_COLUMNS), 16)
        book.close()
        written.append(target)
    return written


def write_all(export: ExportPlan, root: Path, messages: dict[tuple, list[str]] | None = None) -> list[Path]:
    written = []
    for code, bordereaux in sorted(export.bordereaux.items()):
        written += write_cpam(root / f"{code}-{bordereaux[0].cpam.nom_court}", export, code)
    if export.fir:
        written += write_fir(root / "FIR-departement", export)
    if len(export.rejected):
        written += write_rejected(root / "a-corriger", export, messages or {})
    return written
