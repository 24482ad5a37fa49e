"""`bordereau tarifs`: what the reference data put in force on a day, as a person reads it (vaccines, their codes and
prices, the rate table with each rule's source)."""

from __future__ import annotations

import datetime as dt

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bordereau.money import format_eur
from bordereau.reference.data import COVERAGE_LABELS, COVERAGES, Reference


def _fr(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"


def print_tarifs(console: Console, ref: Reference, day: dt.date) -> None:
    """Vaccines (codes, public price TTC and its source, negotiated prices by département) and the rate set in force
    on `day`, rule by rule, then class x coverage."""
    console.print(f"[bold]Tarifs en vigueur le {_fr(day)}[/] (données de référence : {escape(str(ref.folder))})")
    vaccines = Table(title="Vaccins", title_justify="left")
    for header in ("Vaccin", "Classe", "Codes (CIP13, CIP7, UCD)", "Prix public TTC", "Prix négocié"):
        vaccines.add_column(header, justify="right" if header.startswith("Prix") else "left")
    for vaccine in ref.vaccines:
        for n, presentation in enumerate(vaccine.presentations):
            public, assumed = presentation.public_price.nearest(day)
            price = "-" if public is None else (
                f"{format_eur(public.value)} ({escape(public.source)}"
                + (f", observé le {_fr(public.start)} seulement" if assumed else "") + ")")
            negotiated = []
            for (dept, cip13), series in sorted(ref.negotiated.items()):
                entry = series.at(day) if cip13 == presentation.cip13 else None
                if entry is not None:
                    example = " (exemple)" if entry.example else ""
                    negotiated.append(f"{dept} : {format_eur(entry.value)}{example}")
            vaccines.add_row(escape(vaccine.nom) if n == 0 else "", vaccine.classe if n == 0 else "",
                             ", ".join(presentation.codes), price, "\n".join(negotiated) or "-")
    console.print(vaccines)
    rate_set = ref.rate_set_at(day)
    if rate_set is None:
        console.print(f"[red]Aucun barème de taux en vigueur le {_fr(day)}[/] : aucune dose de ce jour ne se facture.")
        return
    until = f" au {_fr(rate_set.end)}" if rate_set.end else ""
    console.print(f"[bold]Barème du {_fr(rate_set.start)}{until}[/] : {escape(rate_set.reference)}")
    rules = Table(title="Règles (la première qui correspond s'applique)", title_justify="left")
    for header in ("Règle", "AMO", "Total CPAM", "Source"):
        rules.add_column(header, justify="right" if header in ("AMO", "Total CPAM") else "left")
    for rule in rate_set.rules:
        rules.add_row(escape(rule.motif), f"{rule.amo} %", f"{rule.total} %",
                      escape(rule.source) or "le barème")
    console.print(rules)
    grid = Table(title="Part AMO / total CPAM par classe et couverture (âge de la campagne)", title_justify="left")
    grid.add_column("Classe")
    for coverage in COVERAGES:
        grid.add_column(COVERAGE_LABELS[coverage], justify="right")
    for classe in sorted({v.classe for v in ref.vaccines}):
        cells = []
        for coverage in COVERAGES:
            rule = rate_set.rule_for(classe, coverage, None, ref.age_min)
            cells.append("-" if rule is None else f"{rule.amo} / {rule.total} %")
        grid.add_row(classe, *cells)
    console.print(grid)
