"""Writing an export: per CPAM the bordereaux, the recap workbook and page, manifest.json and LISEZMOI.txt; the FIR
statement for the Département; the lines to correct. Strings are always written as text (never as formulas)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from pathlib import Path

import pandas as pd

from bordereau.export.plan import Bordereau, ExportPlan
from bordereau.files import distinct_names
from bordereau.identifiers import hide_nirs, nir_mask
from bordereau.money import as_json, format_eur
from bordereau.price.totals import PARTS, Sums, add_sums
from bordereau.reference.data import COVERAGE_LABELS, Departement
from bordereau.rejection_motives import file_names_only
from bordereau.render import xlsx_print
from bordereau.render.deposit import deposit_lines, deposit_steps, pdf_name, recap_pdf_name, to_sign
from bordereau.render.html import render
from bordereau.render.pdf_bordereau import bordereau_pdf
from bordereau.render.pdf_recap import recap_pdf
from bordereau.render.xlsx import new_book
from bordereau.render.xlsx_rows import write_table

BIG = 20_000  # lines from which a bordereau's workbook is streamed (xlsxwriter's constant_memory)

# exported table: (header, source column, kind)
TABLE = (
    ("N° de ligne", "ligne", "number"), ("Nom", "nom", "text"), ("Prénom", "prenom", "text"), ("NIR", "nir", "text"),
    ("Date de naissance", "date_naissance", "date"), ("Code régime", "code_regime", "text"),
    ("Prise en charge", "prise_en_charge", "coverage"), ("Vaccin", "vaccin", "text"),
    ("Code CIP/UCD", "code_vaccin", "text"), ("Date d'administration", "date_administration", "date"),
    ("N° de dose", "dose", "dose"), ("Prix unitaire TTC", "prix_unitaire", "money"),
    ("Montant AMO", "amo", "money"), ("Montant AMC", "complementaire", "money"),
    ("Montant total à rembourser", "total", "money"),
)


def _column_values(lines: pd.DataFrame, column: str, kind: str) -> list:
    if kind == "date":
        return [None if pd.isna(v) else v for v in lines[column].dt.to_pydatetime()]
    values = lines[column].tolist()  # plain Python values: iterating a pandas column makes an object per cell
    if kind == "money":
        return [None if pd.isna(v) else int(v) / 100 for v in values]
    if kind == "coverage":
        return [COVERAGE_LABELS.get(v, "") for v in values]
    if kind == "number":
        return list(range(1, len(lines) + 1)) if column == "ligne" else [int(v) for v in values]
    if kind == "dose":  # a number when it is one (« 1 », « 2 »), the centre's text otherwise
        return [None if v is None or v != v else int(v) if str(v).strip().isdigit() else str(v) for v in values]
    return [None if v is None or v != v else str(v) for v in values]


def write_bordereau(path: Path, b: Bordereau, departement: Departement | None = None) -> None:
    """A bordereau in the layout the centres know: header block, table with computed amounts, totals, signature;
    printed on A4 landscape, one page wide, the table's header repeated."""
    book, f = new_book(path, big=len(b.lines) > BIG)
    ws = book.add_worksheet("Bordereau")
    title = "Bordereau récapitulatif – Campagne de vaccination HPV au collège"
    ws.write_string(0, 0, title, f["title"])
    block = (("Centre de vaccination", b.centre.nom), ("FINESS juridique", b.centre.finess_juridique),
             ("FINESS géographique", b.centre.finess_geographique), ("CPAM", f"{b.cpam.code} – {b.cpam.nom}"),
             ("N° de bordereau", b.number))
    for r, (label, value) in enumerate(block, start=1):
        ws.write_string(r, 0, label, f["bold"])
        ws.write_string(r, 1, value)
    ws.write_string(1, 3, "Structure", f["bold"])  # who bills, beside the centre
    ws.write_string(1, 4, departement.raison_sociale if departement else "")
    r = len(block) + 1
    ws.write_string(r, 0, "Période du", f["bold"])
    ws.write_datetime(r, 1, dt.datetime.combine(b.start, dt.time()), f["date"])
    ws.write_string(r, 2, "au", f["bold"])
    ws.write_datetime(r, 3, dt.datetime.combine(b.end, dt.time()), f["date"])
    head = r + 2
    for c, (label, _, _) in enumerate(TABLE):
        ws.write_string(head, c, label, f["head"])
    columns = [_column_values(b.lines, column, kind) for _, column, kind in TABLE]
    xlsx_print.set_widths(ws, [label for label, _, _ in TABLE], columns)
    for c, (_, _, kind) in enumerate(TABLE):
        if kind == "money":  # the totals row's amounts are the widest
            ws.set_column(c, c, 14)
    ws.set_column(0, 0, max(len(label) + 3 for label, _ in block))  # the header block's labels
    kinds = [kind for _, _, kind in TABLE]
    formats = [f["date"] if kind == "date" else f["money"] if kind == "money" else None for kind in kinds]
    if write_table(ws, head + 1, columns, formats):  # the same bytes as the loop below, faster
        columns = []
    for i, row in enumerate(zip(*columns, strict=True), start=head + 1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if kinds[c] == "date":
                ws.write_datetime(i, c, value, f["date"])
            elif kinds[c] in ("money", "number") or isinstance(value, int):
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
    ws.write_string(last + 4, 0, "Certifié exact, daté, signé et cacheté", f["bold"])
    ws.write_string(last + 5, 0, "Fait à ……………………………, le ……………………")
    who = ", ".join(x for x in (departement.signataire, departement.qualite) if x) if departement else ""
    ws.write_string(last + 6, 0, f"Nom, qualité : {who}" if who else "Nom, qualité :")
    ws.set_row(head, 30)
    xlsx_print.setup(ws, title, b.number, (head, head), last + 9, len(TABLE) - 1)
    book.close()


def _sums_row(ws, r: int, c: int, s: Sums, fmt) -> None:
    ws.write_number(r, c, s.lines)
    for k, part in enumerate(PARTS):
        ws.write_number(r, c + 1 + k, float(getattr(s, part)), fmt)


SUM_HEADERS = ("Lignes", "Prix", "AMO", "Complémentaire", "Total CPAM", "FIR")


def write_recap(path: Path, bordereaux: list[Bordereau], total: Sums) -> None:
    book, f = new_book(path)
    cpam = bordereaux[0].cpam
    number = f"recapitulatif-{cpam.code}"
    ws = book.add_worksheet("Bordereaux")
    title = f"Récapitulatif des bordereaux – {cpam.code} {cpam.nom}"
    ws.write_string(0, 0, title, f["title"])
    ws.write_row(2, 0, ("N° de bordereau", "Centre", "FINESS géographique", "Période du", "au", *SUM_HEADERS),
                 f["head"])
    for r, b in enumerate(bordereaux, start=3):
        ws.write_string(r, 0, b.number)
        ws.write_string(r, 1, b.centre.nom)
        ws.write_string(r, 2, b.centre.finess_geographique)
        ws.write_datetime(r, 3, dt.datetime.combine(b.start, dt.time()), f["date"])
        ws.write_datetime(r, 4, dt.datetime.combine(b.end, dt.time()), f["date"])
        _sums_row(ws, r, 5, b.sums, f["money"])
    r = len(bordereaux) + 3
    ws.write_string(r, 0, "TOTAL", f["bold"])
    _sums_row(ws, r, 5, total, f["money_bold"])
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, xlsx_print.column_width("Centre", [b.centre.nom for b in bordereaux]))
    ws.set_column(2, 4, 12)
    ws.set_column(5, 5, 8)
    ws.set_column(6, 10, 15)
    ws.set_row(2, 30)
    xlsx_print.setup(ws, title, number, (2, 2), r, 10)
    regimes = book.add_worksheet("Par régime")
    title = f"Récapitulatif par régime – {cpam.code} {cpam.nom}"
    regimes.write_string(0, 0, title, f["title"])
    regimes.write_row(2, 0, ("N° de bordereau", "Code régime", "Régime", *SUM_HEADERS), f["head"])
    r = 2
    for b in bordereaux:
        for g in b.by_regime:
            r += 1
            regimes.write_string(r, 0, b.number)
            regimes.write_string(r, 1, g.key)
            regimes.write_string(r, 2, g.label)
            _sums_row(regimes, r, 3, g.sums, f["money"])
    regimes.set_column(0, 0, 34)
    regimes.set_column(1, 1, 9)
    regimes.set_column(2, 2, xlsx_print.column_width("Régime", [g.label for b in bordereaux for g in b.by_regime]))
    regimes.set_column(3, 3, 8)
    regimes.set_column(4, 8, 15)
    regimes.set_row(2, 30)
    xlsx_print.setup(regimes, title, number, (2, 2), r, 8)
    book.close()


def _regime_totals(bordereaux: list[Bordereau]) -> list[dict]:
    merged: dict[str, list] = {}
    for b in bordereaux:
        for g in b.by_regime:
            entry = merged.setdefault(g.key, [g.label, []])
            entry[1].append(g.sums)
    return [{"key": k, "label": label, "sums": add_sums(items)} for k, (label, items) in sorted(merged.items())]


def write_cpam(folder: Path, export: ExportPlan, code: str) -> list[Path]:
    bordereaux = export.bordereaux[code]
    cpam = bordereaux[0].cpam
    folder.mkdir()
    written, pdfs = [], []
    departement = export.departement(bordereaux[0].centre)
    for b in bordereaux:
        write_bordereau(folder / b.file_name, b, export.departement(b.centre))
        written.append(folder / b.file_name)
        bordereau_pdf(b, export.departement(b.centre), export.created).output(str(folder / pdf_name(b)))
        pdfs.append(folder / pdf_name(b))
    total = add_sums([b.sums for b in bordereaux])
    regimes = _regime_totals(bordereaux)
    recap = folder / f"recapitulatif-{code}.xlsx"
    write_recap(recap, bordereaux, total)
    recap_pdf(cpam, bordereaux, total, regimes, departement, export.created, export.cpam_notices[code]).output(
        str(folder / recap_pdf_name(code)))
    pdfs.insert(0, folder / recap_pdf_name(code))
    page = folder / f"recapitulatif-{code}.html"
    page.write_text(render("recap.html.j2", cpam=cpam, bordereaux=bordereaux, total=total, regimes=regimes,
                           eur=format_eur, notices=export.cpam_notices[code], created=export.created,
                           departement=departement, steps=deposit_steps(code, bordereaux),
                           to_sign=to_sign(code, bordereaux)), encoding="utf-8")
    readme = folder / "LISEZMOI.txt"
    readme.write_text(_lisezmoi(cpam, bordereaux, total, export), encoding="utf-8")
    written += [*pdfs, recap, page, readme]
    manifest = {
        "cpam": cpam.code, "label": cpam.nom, "recipient": cpam.email,
        "period": {"start": min(b.start for b in bordereaux).isoformat(),
                   "end": max(b.end for b in bordereaux).isoformat()},
        "created": export.created.isoformat(timespec="seconds"),
        "files": [{"name": b.file_name, "sha256": _sha256(folder / b.file_name), "centre": b.centre.nom,
                   "finess_geographique": b.centre.finess_geographique, "number": b.number,
                   "lines": b.sums.lines, "total": as_json(b.sums.total)} for b in bordereaux],
        "other_files": [{"name": p.name, "sha256": _sha256(p)} for p in (*pdfs, recap, page, readme)],
        "total": {"lines": total.lines, **{p: as_json(getattr(total, p)) for p in PARTS if p != "fir"}},
        "example_data": export.cpam_notices[code],
        "ledger": export.ledger,  # the identity of the ledger that numbered these bordereaux (None: --no-ledger)
        "reference": export.reference.get(code, {}),  # SHA-256 of centres.yaml + tarifs/, dates of the rate sets
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return [*written, folder / "manifest.json"]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _lisezmoi(cpam, bordereaux: list[Bordereau], total: Sums, export: ExportPlan) -> str:
    signed = to_sign(cpam.code, bordereaux)
    lines = [
        f"Bordereaux de la campagne de vaccination HPV au collège pour la {cpam.nom} (caisse {cpam.code})",
        f"Préparés le {export.created:%d/%m/%Y à %H:%M}.",
        "",
        "1. IMPRIMER ET SIGNER : " + ", ".join(signed) + ".",
        "   Chacun de ces PDF est imprimé, daté, signé et cacheté (bloc « certifié exact »), puis numérisé en PDF.",
        "   Les classeurs (.xlsx) et la page .html ne se signent pas.",
        "",
        "2. DÉPOSER SUR PETRA, le service de dépôt sécurisé de fichiers de l'Assurance Maladie, à l'intention de :",
        f"    {cpam.email}",
        "   dans cet ordre :",
        *(f"    {line}" for line in deposit_lines(cpam.code, bordereaux)),
        "",
        "La CPAM dispose de deux mois à compter de la réception pour payer.",
        "",
        "Bordereaux :",
        *(f"    {b.number}  {b.centre.nom}, du {b.start:%d/%m/%Y} au {b.end:%d/%m/%Y}, {b.sums.lines} lignes, "
          f"{format_eur(b.sums.total)}" for b in bordereaux),
        f"    recapitulatif-{cpam.code}.xlsx et recapitulatif-{cpam.code}.html : le récapitulatif à consulter "
        "(par régime aussi) ; ils ne se déposent pas",
        "",
        f"Total à rembourser par la CPAM : {format_eur(total.total)} (AMO {format_eur(total.amo)}, "
        f"complémentaire {format_eur(total.complementaire)}) pour {total.lines} lignes.",
    ]
    notices = export.cpam_notices[cpam.code]
    if notices:
        lines += ["", "ATTENTION : données de référence d'exemple, à remplacer avant tout envoi réel :",
                  *(f"    {n}" for n in notices)]
    return "\n".join(lines) + "\n"


REJECT_COLUMNS = (("Fichier", "path"), ("Feuille", "sheet"), ("Ligne", "row"),
                  *((label, f"{column}_raw") for label, column, _ in TABLE[1:12]))


def write_rejected(folder: Path, export: ExportPlan, messages: dict[tuple, list[str]]) -> list[Path]:
    """The lines left out, as the centres typed them, with what to correct: one workbook per source file."""
    folder.mkdir()
    written = []
    names = distinct_names(sorted({Path(p) for p in export.rejected["path"]}), "-a-corriger.xlsx")
    for path, lines in export.rejected.groupby("path", sort=True):
        target = folder / names[Path(path)]
        book, f = new_book(target)
        ws = book.add_worksheet("A corriger")
        ws.write_row(0, 0, (*(label for label, _ in REJECT_COLUMNS), "Anomalies"), f["head"])
        for r, row in enumerate(lines.itertuples(index=False), start=1):
            record = row._asdict()
            for c, (_, column) in enumerate(REJECT_COLUMNS):
                value = record.get(column)
                if column == "path":
                    value = Path(value).name  # the centre's file, not the folder it sits in here
                if isinstance(value, dt.datetime | dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()) if not isinstance(
                        value, dt.datetime) else value, f["date"])
                elif isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
                    ws.write_number(r, c, value)
                elif value is not None and value != "" and not (isinstance(value, float) and math.isnan(value)):
                    ws.write_string(r, c, str(value))
            what = file_names_only(" ; ".join(messages.get((path, row.sheet, row.row), [])))
            ws.write_string(r, len(REJECT_COLUMNS), what, f["wrap"])
            if height := xlsx_print.wrapped_height(what, 60):
                ws.set_row(r, height)
        ws.set_column(0, len(REJECT_COLUMNS), 16)
        ws.set_column(len(REJECT_COLUMNS), len(REJECT_COLUMNS), 60, f["wrap"])
        xlsx_print.setup(ws, f"Lignes à corriger – {Path(path).name}", Path(path).stem, (0, 0), len(lines),
                         len(REJECT_COLUMNS))
        book.close()
        written.append(target)
    return written


def write_already_billed(path: Path, export: ExportPlan, messages: dict[tuple, list[str]]) -> Path:
    """The lines left out because they were billed before, for the Département (never sent back to the centres as
    something to correct): where they are, who (NIR masked), and the bordereau that billed them."""
    book, f = new_book(path)
    ws = book.add_worksheet("Déjà facturées")
    headers = ("Fichier", "Feuille", "Ligne", "Nom", "Prénom", "NIR", "Vaccin", "Date d'administration",
               "Déjà facturée")
    ws.write_row(0, 0, headers, f["head"])
    lines = export.already_billed
    for r, row in enumerate(lines.itertuples(index=False), start=1):
        ws.write_string(r, 0, hide_nirs(str(row.path)))
        ws.write_string(r, 1, hide_nirs(str(row.sheet)))
        ws.write_number(r, 2, int(row.row))
        for c, value in enumerate((row.nom, row.prenom), start=3):
            ws.write_string(r, c, hide_nirs(str(value or "")))
        ws.write_string(r, 5, nir_mask(row.nir) if isinstance(row.nir, str) and row.nir else "")
        ws.write_string(r, 6, hide_nirs(str(row.vaccin or "")))
        if not pd.isna(row.date_administration):
            ws.write_datetime(r, 7, row.date_administration.to_pydatetime(), f["date"])
        said = [m.split(" ", 1)[-1] for m in messages.get((row.path, row.sheet, row.row), [])]
        ws.write_string(r, 8, hide_nirs(" ; ".join(said)))
    ws.set_column(0, len(headers), 18)
    book.close()
    return path


def write_all(export: ExportPlan, root: Path, messages: dict[tuple, list[str]] | None = None) -> list[Path]:
    written = []
    for code, bordereaux in sorted(export.bordereaux.items()):
        written += write_cpam(root / f"{code}-{bordereaux[0].cpam.nom_court}", export, code)
    if export.fir:
        from bordereau.render.export_fir import write_fir

        written += write_fir(root / "FIR-departement", export)
    if len(export.rejected):
        written += write_rejected(root / "a-corriger", export, messages or {})
    if len(export.already_billed):
        written.append(write_already_billed(root / "deja-facturees.xlsx", export, messages or {}))
    return written
