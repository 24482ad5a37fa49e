"""Terminal tables and the HTML page of the ledger commands (status, reconcile, reject)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bordereau.ledger.status import AGEING, Status
from bordereau.money import format_eur, from_cents
from bordereau.reference.data import COVERAGE_LABELS
from bordereau.render import fit
from bordereau.render.html import render

STATE_STYLE = {"payé": "green", "rejeté": "red",
                "trop-perçu": "magenta", "en retard": "red", "partiel": "yellow", "impayé": "",
               "à déposer": "cyan"}
AGE_COLOURS = ("#8c959f", "#2da44e", "#d4a72c", "#cf222e")


def eur(cents) -> str:
    return format_eur(from_cents(int(cents)))


def print_status(console: Console, status: Status, cpam_names: dict[str, str]) -> None:
    table = fit.table(console, title=f"Bordereaux au {status.today:%d/%m/%Y} (montants en EUR)", title_justify="left")
    money = ("Facturé", "Rejeté", "Payé", "Reste dû")
    spare = ("Centre", "Jours") if fit.narrow(console) else ()  # the centre is in the number (its FINESS)
    headers = [h for h in ("Bordereau", "Centre", "Déposé le", "Jours", *money, "État") if h not in spare]
    for header in headers:
        table.add_column(header, justify="right" if header in ("Jours", *money) else "left",
                         no_wrap=header != "Centre", min_width=12 if header == "Centre" else None)
    for r in status.bordereaux.itertuples():
        amounts = (eur(v).removesuffix(" EUR") for v in (r.total, r.rejected, r.paid, r.outstanding))
        state = f"[{STATE_STYLE[r.state]}]{r.state}[/]" if STATE_STYLE[r.state] else r.state
        cells = {"Bordereau": r.number, "Centre": escape(r.centre),
                 "Déposé le": f"{r.deposited_on:%d/%m/%Y}" if r.deposited_on else "-",
                 "Jours": "" if r.days != r.days else str(int(r.days))}
        table.add_row(*(cells[h] for h in headers if h in cells), *amounts, state)
    console.print(table)
    per = Table(title="Par CPAM", title_justify="left")
    for header in ("CPAM", "Facturé", "Rejeté", "Payé", "Reste dû"):
        per.add_column(header, justify="left" if header == "CPAM" else "right")
    for r in status.by_cpam().itertuples():
        per.add_row(f"{r.cpam} {cpam_names.get(r.cpam, '')}", eur(r.total), eur(r.rejected), eur(r.paid),
                    eur(r.outstanding))
    console.print(per)
    print_unmatched(console, status.unmatched)


def chart(status: Status, cpam_names: dict[str, str], width: int = 640) -> dict:
    """Geometry of the ageing chart (one stacked bar per CPAM), computed here so that the template only draws."""
    ageing = status.ageing()
    top = max([int(v) for v in ageing.sum(axis=1)] or [0]) or 1
    bars, y = [], 10
    for cpam, row in ageing.iterrows():
        x, parts = 220, []
        for (label, _), colour in zip(AGEING, AGE_COLOURS, strict=True):
            w = round(int(row[label]) / top * (width - 240), 1)
            if w > 0:
                parts.append({"x": x, "w": w, "colour": colour, "title": f"{label} : {eur(row[label])}"})
                x += w
        bars.append({"y": y, "text_y": y + 17, "label": f"{cpam} {cpam_names.get(cpam, '')}", "parts": parts,
                     "total": eur(sum(int(v) for v in row)), "end": x + 6})
        y += 34
    legend = [{"x": 220 + k * 130, "text_x": 240 + k * 130, "colour": c, "label": label}
              for k, ((label, _), c) in enumerate(zip(AGEING, AGE_COLOURS, strict=True))]
    return {"width": width + 120, "height": y + 40, "bars": bars, "legend": legend, "legend_y": y + 10,
            "legend_text_y": y + 22}


def status_page(status: Status, cpam_names: dict[str, str]) -> str:
    return render("status.html.j2", **status_context(status, cpam_names))


def status_context(status: Status, cpam_names: dict[str, str]) -> dict:
    """What the follow-up's page shows (status_body.html.j2): the chart, the rows in euros, the unmatched payments."""
    rows = [{**r._asdict(), "deposited": f"{r.deposited_on:%d/%m/%Y}" if r.deposited_on else "–",
             "days_text": "" if r.days != r.days else str(int(r.days)), "total_eur": eur(r.total),
             "rejected_eur": eur(r.rejected), "paid_eur": eur(r.paid), "outstanding_eur": eur(r.outstanding)}
            for r in status.bordereaux.itertuples()]
    cpams = [{"code": r.cpam, "name": cpam_names.get(r.cpam, ""), "total": eur(r.total), "rejected": eur(r.rejected),
              "paid": eur(r.paid), "outstanding": eur(r.outstanding)} for r in status.by_cpam().itertuples()]
    unmatched = [{"id": u.id, "date": f"{u.paid_on:%d/%m/%Y}", "payer": u.payer, "amount": eur(u.amount),
                  "label": u.label} for u in status.unmatched]
    return {"today": status.today, "rows": rows, "cpams": cpams, "chart": chart(status, cpam_names),
            "unmatched": unmatched}


def print_reconcile(console: Console, found: list) -> None:
    table = Table(title="Paiements importés", title_justify="left")
    for header in ("N°", "Date", "Payeur", "Montant", "Affecté à", "Règle"):
        table.add_column(header, justify="right" if header in ("N°", "Montant") else "left")
    for p in found:
        if p.duplicate:
            where, rule = "déjà importé", ""
        elif p.earlier:
            where = "importé avant, rapproché maintenant : " + ", ".join(f"{n} ({eur(c)})" for n, c, _ in p.allocations)
            rule = ", ".join(sorted({r for _, _, r in p.allocations}))
        elif p.allocations:
            where = ", ".join(f"{n} ({eur(c)})" for n, c, _ in p.allocations)
            rule = ", ".join(sorted({r for _, _, r in p.allocations}))
        else:
            where, rule = "[red]non rapproché[/]", ""
        table.add_row("" if p.id is None else str(p.id), f"{p.paid_on:%d/%m/%Y}", escape(p.payer or "-"),
                      eur(p.amount), where, rule)
    console.print(table)


def print_unmatched(console: Console, unmatched: list) -> None:
    """The payments nothing matched, with the number `reconcile --ignorer` / `--affecter` take."""
    if not unmatched:
        return
    console.print(f"[red]{len(unmatched)} paiement(s) non rapproché(s) dans le registre[/] "
                  "(reconcile --ignorer N° ou --affecter N° NUMERO) :")
    for u in unmatched:
        console.print(f"  n° {u.id}  {u.paid_on:%d/%m/%Y}  {escape(u.payer or '-')}  {eur(u.amount)}  "
                      f"{escape(u.label)}")


def print_manual(console: Console, done: list[tuple[str, dict, str | None]]) -> None:
    for what, row, number in done:
        to = f" au bordereau {number}" if number else ""
        console.print(f"Paiement n° {row['id']} du {row['paid_on']:%d/%m/%Y} ({eur(row['amount'])}) {what}{to}, "
                      "tracé dans le registre.")


def print_lines(console: Console, number: str, lines: list[dict]) -> None:
    table = fit.table(console, title=f"Lignes du bordereau {escape(number)} (montants en EUR)", title_justify="left")
    for header in ("N°", "Élève", "NIR", "Vaccin", "Le", "Prise en charge", "Prix", "AMO", "AMC", "Total",
                   "État"):
        table.add_column(header, justify="right" if header in ("N°", "Prix", "AMO", "AMC", "Total") else "left",
                         no_wrap=header in ("N°", "Vaccin", "Le", "Prix", "AMO", "AMC", "Total"), overflow="fold",
                         min_width=8 if header == "État" else None)
    for r in lines:
        who = escape(" ".join(x for x in (r["nom"], r["prenom"]) if x)) or "(purgé)"
        state = f"[red]rejetée[/] : {escape(r['rejected_reason'] or '')}"
        table.add_row(str(r["line_no"]), who, r["nir_masked"] or "-", r["vaccine_code"],
                      f"{r['administered_on']:%d/%m/%Y}", COVERAGE_LABELS.get(r["coverage"], r["coverage"]),
                      *(eur(r[k]).removesuffix(" EUR") for k in ("prix", "amo", "complementaire", "total")),
                      "facturée" if r["state"] == "billed" else state)
    console.print(table)


def print_purge_plan(console: Console, plan) -> None:
    """What `purge` would erase, counted, and the open bordereaux it keeps (or purges when forced)."""
    day = f"{plan.before:%d/%m/%Y}"
    console.print(f"Lignes administrées avant le {day} encore nominatives : {plan.count} ligne(s) de "
                  f"{len(plan.lines)} bordereau(x) à purger.")
    if plan.open:
        verb = "purgées aussi (--force)" if plan.forced else "gardées (--force pour les purger)"
        console.print(f"Bordereaux non soldés, lignes {verb} :")
        for number, (lines, state) in plan.open.items():
            console.print(f"  {escape(number)} : {lines} ligne(s), {state}")


def reconcile_json(found: list, left: list, problems: list, done: list) -> dict:
    """What `reconcile --json` prints (and POST /api/paiements answers)."""
    return {"payments": [p.as_json() for p in found],
            "unmatched": [p.as_json() for p in left],
            "unreadable": [{"file": u.source, "row": u.row, "reason": u.reason} for u in problems],
            "manual": [{"id": row["id"], "action": what, "bordereau": number} for what, row, number in done]}


def reject_json(result) -> dict:
    """The lines of a rejection import (`reject`; POST /api/rejets answers it): applied, already known, unknown to
    the ledger, and not applied with why."""
    def line(r) -> dict:
        return {"bordereau": r.bordereau, "line": r.line_no, "code": r.code, "reason": r.reason,
                "amount": None if r.amount is None else f"{r.amount / 100:.2f}", "source": r.source, "row": r.row}

    return {"applied": [line(r) for r in result.applied], "already": [line(r) for r in result.already],
            "unknown": [line(r) for r in result.unknown],
            "invalid": [{**line(r), "why": why} for r, why in result.invalid]}
