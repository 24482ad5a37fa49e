"""The audit's summary on the terminal, in French: the bordereaux and their amounts, the rejected amount explained
by code, the anomalies of whole bordereaux, the centres, the rejected lines and the observations."""

from __future__ import annotations

from itertools import groupby

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bordereau.audit.lines import OBSERVATION, REJECTED
from bordereau.audit.model import Amounts, Audit, Summary
from bordereau.audit.rows import statement_rows
from bordereau.money import format_eur
from bordereau.render import fit
from bordereau.render.terminal import _plural, shown_of

MAX_LINES = 30
AMOUNT_HEADERS = ("Lignes", "Rejetées", "Réclamé", "Recalculé", "Accepté", "Rejeté")


def _amount_cells(a: Amounts, unit: bool = True) -> list[str]:
    def eur(value) -> str:
        return format_eur(value) if unit else format_eur(value).removesuffix(" EUR")

    rejected = f"[red]{a.rejected_lines}[/]" if a.rejected_lines else "0"
    return [str(a.lines), rejected, *(eur(getattr(a, k)) for k in ("claimed", "recomputed", "accepted")),
            f"[red]{eur(a.rejected)}[/]" if a.rejected else eur(a.rejected)]


def _headline(audit: Audit) -> str:
    t = audit.total
    caisse = f" pour la caisse {audit.cpam}" if audit.cpam else ""
    n = len(audit.bordereaux)
    return (f"[bold]Audit de {n} bordereau{'x' if n > 1 else ''}{caisse}[/] : {_plural(t.lines, 'ligne')}, "
            f"{t.accepted_lines} acceptée(s), {t.observation_lines} avec observation, {t.rejected_lines} rejetée(s)")


def _summaries(console: Console, title: str, first: tuple[str, ...], rows: list[tuple[list[str], Amounts]],
               total: Amounts) -> Table:
    """Amounts per bordereau or centre; on a narrow terminal the amounts lose their unit (said in the title) before
    a figure or a bordereau number is cut."""
    unit = not fit.narrow(console)
    table = fit.table(console, title=title if unit else f"{title} (montants en EUR)", title_justify="left")
    # a bordereau number (HPV-595-590780102-20261123-1) stays on one line, a centre's name folds; a file name
    # standing for a missing number folds too
    numbers = first[0] == "N° de bordereau" and all(len(cells[0]) <= 30 for cells, _ in rows)
    for k, header in enumerate(first):
        table.add_column(header, overflow="fold", no_wrap=numbers and k == 0)
    for header in AMOUNT_HEADERS:
        table.add_column(header, justify="right", no_wrap=True)
    for cells, amounts in rows:
        table.add_row(*map(escape, cells), *_amount_cells(amounts, unit))
    table.add_section()
    table.add_row("[bold]Total[/]", *([""] * (len(first) - 1)), *_amount_cells(total, unit), style="bold")
    return table


def _explanations(console: Console, summaries: list[Summary]) -> None:
    explained = [s for s in summaries if s.explanations or s.findings]
    if not explained:
        return
    console.print("[bold]Écarts et anomalies par bordereau[/]")
    for s in explained:
        console.print(f"  {escape(s.number)} ({escape(s.centre or 'centre inconnu')}) : réclamé "
                      f"{format_eur(s.amounts.claimed)}, "
                      f"accepté {format_eur(s.amounts.accepted)}")
        for e in s.explanations:
            console.print(f"    [red]{e.text}[/]")
        for f in s.findings:
            where = f"{f.sheet}!{f.cell}" if f.cell else (f.sheet or "fichier")
            console.print(f"    [red]{f.code}[/] {escape(where)} : {escape(f.message)}")


def _lines(console: Console, audit: Audit, verdict: str, title: str, max_lines: int) -> None:
    rows = statement_rows(audit, verdict)
    if not rows:
        return
    console.print(f"[bold]{title}[/] ({shown_of(min(len(rows), max_lines), len(rows))})")
    for number, items in groupby(rows[:max_lines], key=lambda r: r["bordereau"]):
        table = fit.table(console, title=escape(str(number)), title_justify="left", title_style="bold")
        for header in ("Ligne", "Bénéficiaire", "Code", "Montant", "Motif"):
            table.add_column(header, justify="right" if header in ("Ligne", "Montant") else "left",
                             no_wrap=header != "Motif", overflow="fold", ratio=1 if header == "Motif" else None)
        for r in items:
            table.add_row(str(r["ligne"]), escape(r["beneficiaire"]), r["code"], format_eur(r["montant"]),
                          escape(r["motif"]),
                          style="red" if verdict == REJECTED else "yellow")
        console.print(table)
    if len(rows) > max_lines:
        console.print(f"… et {len(rows) - max_lines} autres (liste complète avec --json, --report ou --xlsx).")


def print_audit(console: Console, audit: Audit, max_lines: int = MAX_LINES) -> None:
    console.print(_headline(audit))
    rows = [([s.number, s.centre or "-"], s.amounts) for s in audit.bordereaux]
    console.print(_summaries(console, "Par bordereau", ("N° de bordereau", "Centre"), rows, audit.total))
    if len(audit.centres) > 1 or len(audit.centres) != len(audit.bordereaux):
        rows = [([s.centre or s.key or "?", s.cpam or "-", str(s.bordereaux)], s.amounts) for s in audit.centres]
        console.print(_summaries(console, "Par centre", ("Centre", "CPAM", "Bordereaux"), rows, audit.total))
    _explanations(console, audit.bordereaux)
    for f in audit.unread:
        console.print(f"[red]{f.code}[/] {escape(f.path)} : {escape(f.message)}")
    _lines(console, audit, REJECTED, "Lignes rejetées", max_lines)
    _lines(console, audit, OBSERVATION, "Lignes acceptées avec observation", max_lines)
    t = audit.total
    verdict = "[red]Des lignes ou des bordereaux sont refusés.[/]" if audit.errors else "[green]Tout est accepté.[/]"
    console.print(f"{verdict} À payer : [bold]{format_eur(t.accepted)}[/] sur {format_eur(t.claimed)} réclamés ; "
                  f"refusé : {format_eur(t.rejected)}.")
