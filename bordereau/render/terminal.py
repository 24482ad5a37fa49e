"""Rich tables for the terminal, in French."""

from __future__ import annotations

from collections import Counter
from itertools import groupby

from rich.console import Console
from rich.table import Table

from ..check import CheckResult
from ..findings import title

MAX_FINDINGS = 30


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n > 1 else ''}"


def print_check(console: Console, result: CheckResult, max_findings: int = MAX_FINDINGS) -> None:
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
        table.add_row(f.path, f.sheet or "-", f.centre or "-", f.cpam or "-", str(f.lines), errors, warnings)
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
    console.print(f"[bold]Anomalies[/] ({len(shown)} premières sur {len(result.findings)})")
    for path, items in groupby(shown, key=lambda f: f.path):
        detail = Table(title=path, title_justify="left", title_style="bold")
        detail.add_column("Cellule", no_wrap=True)
        detail.add_column("Code", no_wrap=True)
        detail.add_column("Message", overflow="fold", ratio=1)
        for f in items:
            where = f"{f.sheet}!{f.cell}" if f.cell else (f.sheet or "fichier")
            detail.add_row(where, f.code, f.message, style="red" if f.severity == "error" else "yellow")
        console.print(detail)
    more = len(result.findings) - max_findings
    if more > 0:
        noun = "autres anomalies" if more > 1 else "autre anomalie"
        console.print(f"… et {more} {noun} (liste complète avec --json, --report ou --annotate).")


def _severity(severity: str) -> str:
    return "[red]erreur[/]" if severity == "error" else "[yellow]avertissement[/]"
