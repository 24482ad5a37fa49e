"""Rich tables for the terminal, in French."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from itertools import groupby

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bordereau.check.model import CheckResult
from bordereau.findings import title
from bordereau.identifiers import hide_nirs
from bordereau.money import format_eur
from bordereau.price.totals import Sums, Totals

MAX_FINDINGS = 30


def shown_of(shown: int, total: int) -> str:
    """How many of a list the terminal shows, said as a person would.

    >>> shown_of(17, 17), shown_of(30, 60), shown_of(1, 5)
    ('17', '30 premières sur 60', 'la première sur 5')
    """
    if shown >= total:
        return str(total)
    return f"{'la première' if shown == 1 else f'{shown} premières'} sur {total}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n > 1 else ''}"


def print_check(console: Console, result: CheckResult, max_findings: int = MAX_FINDINGS) -> None:
    pupils = {(hide_nirs(p), hide_nirs(s), r): name for (p, s, r), name in result.pupils().items()}
    result = result.shown()
    lines = sum(f.lines for f in result.files)
    console.print(f"[bold]Contrôle de {_plural(len({f.path for f in result.files}), 'fichier')}[/] : "
                  f"{_plural(lines, 'ligne')}, {_plural(result.errors, 'erreur')}, "
                  f"{_plural(result.warnings, 'avertissement')}")
    table = Table(show_lines=False)
    for header, justify in (("Fichier", "left"), ("Feuille", "left"), ("Centre", "left"), ("CPAM", "left"),
                            ("Lignes", "right"), ("Erreurs", "right"), ("Avert.", "right")):
        table.add_column(header, justify=justify)
    for f in result.files:
        errors = f"[red]{f.errors}[/]" if f.errors else "0"
        warnings = f"[yellow]{f.warnings}[/]" if f.warnings else "0"
        table.add_row(escape(f.path), escape(f.sheet or "-"), escape(f.centre or "-"), f.cpam or "-", str(f.lines),
                      errors, warnings)
    console.print(table)
    if not result.findings:
        console.print("[green]Aucune anomalie : le bordereau peut être envoyé.[/]")
        return
    counts = Counter((f.code, f.severity) for f in result.findings)
    by_code = Table(title="Anomalies par type")
    for header in ("Code", "Gravité", "Nombre", "Signification"):
        by_code.add_column(header, justify="right" if header == "Nombre" else "left")
    for (code, severity), n in sorted(counts.items(), key=lambda kv: (kv[0][1] != "error", -kv[1])):
        by_code.add_row(code, _severity(severity), str(n), title(code))
    console.print(by_code)
    shown = result.findings[:max_findings]
    console.print(f"[bold]Anomalies[/] ({shown_of(len(shown), len(result.findings))})")
    for path, items in groupby(shown, key=lambda f: f.path):
        detail = Table(title=escape(path), title_justify="left", title_style="bold")
        detail.add_column("Cellule", no_wrap=True)
        detail.add_column("Élève", overflow="fold", max_width=18)
        detail.add_column("Code", no_wrap=True)
        detail.add_column("Message", overflow="fold", ratio=1)
        for f in items:
            where = f"{f.sheet}!{f.cell}" if f.cell else (f.sheet or "fichier")
            who = pupils.get((f.path, f.sheet, f.row), "")
            detail.add_row(escape(where), escape(who), f.code, escape(f.message),
                           style="red" if f.severity == "error" else "yellow")
        console.print(detail)
    more = len(result.findings) - max_findings
    if more > 0:
        noun = "autres anomalies" if more > 1 else "autre anomalie"
        console.print(f"… et {more} {noun} (liste complète avec --json, --report ou --annotate).")


def _severity(severity: str) -> str:
    return "[red]erreur[/]" if severity == "error" else "[yellow]avertissement[/]"


BY_LABELS = {"cpam": "CPAM", "centre": "Centre", "regime": "Régime", "prise_en_charge": "Prise en charge"}
BY_TITLES = {"cpam": "CPAM", "centre": "centre", "regime": "régime", "prise_en_charge": "prise en charge"}


def print_totals(console: Console, totals: Totals) -> None:
    table = Table(title=f"Répartition par {BY_TITLES[totals.by]}", title_justify="left")
    table.add_column(BY_LABELS[totals.by])
    table.add_column("Lignes", justify="right")
    for header in ("Prix", "AMO", "Complémentaire", "Total CPAM", "FIR"):
        table.add_column(header, justify="right", no_wrap=True)
    for g in totals.groups:
        internal = totals.by == "prise_en_charge" or g.key == g.label  # droit_commun is no word for a reader
        table.add_row(g.label if internal else f"{g.key} {g.label}".strip(), *_sums_cells(g.sums))
    table.add_section()
    table.add_row("[bold]Total[/]", *_sums_cells(totals.total), style="bold")
    console.print(table)
    if totals.excluded_lines:
        console.print(f"[red]{totals.excluded_lines} ligne(s) en erreur exclue(s) des totaux[/] "
                      "(détail : bordereau check).")


def _sums_cells(s: Sums) -> list[str]:
    return [str(s.lines), *(format_eur(getattr(s, p)) for p in ("prix", "amo", "complementaire", "total", "fir"))]


def print_export(console: Console, plan, out_dir, written: list) -> None:
    table = Table(title=escape(f"Export écrit dans {out_dir}"), title_justify="left")
    for header in ("CPAM", "Bordereaux", "Lignes", "Total CPAM", "À déposer pour"):
        figures = header in ("Bordereaux", "Lignes", "Total CPAM")
        table.add_column(header, justify="right" if figures else "left", no_wrap=figures, overflow="fold")
    for code, bordereaux in sorted(plan.bordereaux.items()):
        cpam = bordereaux[0].cpam
        table.add_row(f"{code} {cpam.nom}", str(len(bordereaux)), str(sum(b.sums.lines for b in bordereaux)),
                      format_eur(sum((b.sums.total for b in bordereaux), Decimal(0))), cpam.email)
    console.print(table)
    fir = sum((c.fir for c in plan.fir), Decimal(0))
    no_rights = sum(c.no_rights.lines for c in plan.fir)
    console.print(f"État FIR : {format_eur(fir)} à la charge du FIR, dont {no_rights} ligne(s) sans droits "
                  "(jamais envoyées aux CPAM).")
    if len(plan.rejected):
        console.print(f"[red]{len(plan.rejected)} ligne(s) en erreur non exportée(s)[/] : voir "
                      f"{escape(str(out_dir))}/a-corriger/ (à renvoyer aux centres).")
    if len(plan.already_billed):
        console.print(f"[yellow]{len(plan.already_billed)} ligne(s) déjà facturée(s) non exportée(s)[/] : voir "
                      f"{escape(str(out_dir))}/deja-facturees.xlsx (rien à corriger par les centres).")
    for notice in plan.notices:
        console.print(f"[yellow]Attention, données d'exemple :[/] {escape(notice)}")
    console.print(f"{len(written)} fichier(s) écrit(s).")
