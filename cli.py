"""The `bordereau` command: a thin shell that parses arguments, calls the package, renders and picks the exit code.

Exit codes: 0 done, no error in the data; 1 done, errors found; 2 the command could not do its job.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bordereau.errors import BordereauError

app = typer.Typer(
    name="bordereau", no_args_is_help=True, add_completion=False, rich_markup_mode="rich",
    help="Contrôle, calcul et export des bordereaux de la campagne de vaccination HPV au collège.",
)
out = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True, highlight=False)

Files = Annotated[list[Path], typer.Argument(help="Classeurs (.xlsx, .xlsm, .xls, .ods) ou dossiers.",
                                             show_default=False)]
RefDir = Annotated[Path | None, typer.Option("--ref", help="Dossier des données de référence (centres.yaml, tarifs/).")]
AsJson = Annotated[bool, typer.Option("--json", help="Écrit le résultat en JSON sur la sortie standard.")]
Today = Annotated[dt.datetime | None, typer.Option("--today", hidden=True, formats=["%Y-%m-%d"])]


def guarded(command):
    """Turn the package's errors into a one-line French message and exit code 2; never show a traceback."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except BordereauError as exc:
            err.print(f"[red]Erreur :[/] {exc}")
            raise typer.Exit(2) from None
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except Exception as exc:
            if os.environ.get("BORDEREAU_DEBUG"):
                raise
            err.print(f"[red]Erreur inattendue ({exc.__class__.__name__}).[/] "
                      "Relancez avec BORDEREAU_DEBUG=1 pour le détail technique.")
            raise typer.Exit(2) from None

    return run


def _reference(ref: Path | None):
    from bordereau.reference import load_reference

    return load_reference(ref)


def _day(today: dt.datetime | None) -> dt.date | None:
    return today.date() if today else None


@app.command()
@guarded
def check(
    files: Files,
    as_json: AsJson = False,
    report: Annotated[Path | None, typer.Option("--report", help="Écrit un rapport HTML autonome.")] = None,
    annotate: Annotated[Path | None, typer.Option(
        "--annotate", help="Écrit dans ce dossier une copie annotée de chaque classeur.")] = None,
    ref: RefDir = None,
    today: Today = None,
) -> None:
    """Contrôle les bordereaux et dit, cellule par cellule, ce qui est à corriger."""
    from bordereau.check import check_files, expand
    from bordereau.files import write_text
    from bordereau.render.terminal import print_check

    result = check_files(files, _reference(ref), _day(today))
    inputs = tuple(expand(files))
    if report:
        from bordereau.render.html import check_report

        write_text(report, check_report(result), inputs)
    written = []
    if annotate:
        from bordereau.render.annotate import annotate as write_annotated

        for source in inputs:
            mine = [f for f in result.findings if f.path == str(source)]
            if not any(f.code == "FILE_UNREADABLE" for f in mine):
                written.append(write_annotated(source, mine, annotate))
    if as_json:
        typer.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
    else:
        print_check(out, result)
        if report:
            out.print(f"Rapport : {report}")
        for path in written:
            out.print(f"Copie annotée : {path}")
    raise typer.Exit(1 if result.errors else 0)


@app.command()
@guarded
def totals(
    files: Files,
    as_json: AsJson = False,
    by: Annotated[str, typer.Option("--by", help="Regroupement : cpam, centre, regime ou prise_en_charge.")] = "cpam",
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Enregistre le tableau dans ce classeur.")] = None,
    ref: RefDir = None,
    today: Today = None,
) -> None:
    """Calcule la part AMO, complémentaire et FIR de chaque ligne valide, et les sommes."""
    from bordereau.check import check_files, expand
    from bordereau.render.terminal import print_totals
    from bordereau.totals import GROUPINGS
    from bordereau.totals import totals as compute

    if by not in GROUPINGS:
        raise BordereauError(f"--by {by} : regroupement inconnu ({', '.join(GROUPINGS)})")
    reference = _reference(ref)
    result = check_files(files, reference, _day(today))
    sums = compute(result.lines, by, reference)
    if xlsx:
        from bordereau.render.totals_xlsx import write_totals

        write_totals(xlsx, sums, tuple(expand(files)))
    if as_json:
        typer.echo(json.dumps(sums.as_json(), ensure_ascii=False, indent=2))
    else:
        print_totals(out, sums)
        if xlsx:
            out.print(f"Tableau enregistré : {xlsx}")
    raise typer.Exit(1 if result.errors else 0)


@app.command()
@guarded
def export(
    files: Files,
    out_dir: Annotated[Path, typer.Option("--out", help="Dossier d'export à créer (jamais écrasé).")],
    skip_invalid: Annotated[bool, typer.Option(
        "--skip-invalid", help="Exporte les lignes valides et met les autres dans a-corriger/.")] = False,
    ref: RefDir = None,
    today: Today = None,
) -> None:
    """Prépare les fichiers à déposer sur PETRA : un dossier par CPAM, l'état FIR du Département."""
    from bordereau import export as exporting
    from bordereau.check import check_files, expand
    from bordereau.render.terminal import print_check, print_export

    reference = _reference(ref)
    exporting.check_target(out_dir)
    result = check_files(files, reference, _day(today))
    if result.errors and not skip_invalid:
        print_check(out, result)
        err.print("[red]Export refusé : corrigez les erreurs ci-dessus[/] (ou --skip-invalid pour n'exporter que "
                  "les lignes valides). Rien n'a été écrit.")
        raise typer.Exit(1)
    created = dt.datetime.combine(_day(today), dt.datetime.now().time()) if today else dt.datetime.now()
    plan = exporting.plan(result, reference, created.astimezone())
    written = exporting.write(plan, out_dir, tuple(expand(files)))
    print_export(out, plan, out_dir, written)
    raise typer.Exit(1 if result.errors else 0)


@app.command()
@guarded
def sample(
    output: Annotated[Path, typer.Argument(help="Classeur à créer (.xlsx).")],
    lines: Annotated[int, typer.Option("--lines", min=1, help="Nombre de lignes.")] = 60,
    finess: Annotated[str, typer.Option("--centre", help="FINESS géographique du centre.")] = "590780102",
    start: Annotated[dt.datetime, typer.Option("--du", formats=["%Y-%m-%d"], help="Début de période.")] = "2026-10-01",
    end: Annotated[dt.datetime, typer.Option("--au", formats=["%Y-%m-%d"], help="Fin de période.")] = "2026-10-31",
    seed: Annotated[int, typer.Option("--seed", help="Graine du tirage.")] = 1,
    errors: Annotated[bool, typer.Option("--erreurs", help="Introduit des erreurs typiques.")] = False,
    layout: Annotated[str, typer.Option("--mise-en-page", help="standard, ou libre (libellés, ordre, dates et prix "
                                        "en texte comme les saisissent certains centres).")] = "standard",
    ref: RefDir = None,
) -> None:
    """Crée un bordereau d'exemple réaliste (noms inventés, NIR fictifs valides)."""
    from bordereau.files import atomic_path
    from bordereau.samples import example_workbook

    if layout not in ("standard", "libre"):
        raise BordereauError(f"mise en page « {layout} » inconnue : standard ou libre")
    if output.exists():
        raise BordereauError(f"{output} existe déjà : choisissez un autre nom")
    reference = _reference(ref)
    centre = reference.centre_by_finess.get(finess)
    if centre is None:
        raise BordereauError(f"aucun centre de FINESS géographique {finess} dans centres.yaml")
    with atomic_path(output) as temp:
        example_workbook(temp, reference, centre, start.date(), end.date(), lines, seed, errors, layout)
    out.print(f"Bordereau d'exemple écrit : {output} ({lines} lignes, {centre.nom})")


def main() -> None:  # pragma: no cover
    app(prog_name="bordereau")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
