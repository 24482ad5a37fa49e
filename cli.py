"""The `bordereau` command: a thin shell that parses arguments, calls the package, renders and picks the exit code.

Exit codes: 0 done, no error in the data; 1 done, errors found; 2 the command could not do its job.
"""

# No `from __future__ import annotations` here: typer reads every command's annotations when it builds the commands
# (typing.get_type_hints), and strings would be compiled and evaluated at each start (0.02 s, before the read ahead
# starts); evaluated once where they are written, they cost nothing more.
import datetime as dt
import functools
import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from bordereau import cli_coercion, clock
from bordereau.cli_french import DATE_METAVAR, frenchify, parse_day, usage_message
from bordereau.cli_start import LazyConsole, escape, made, pause_start, started
from bordereau.errors import BordereauError, UsageError

cli_coercion.install()  # options turned into values without importing pydantic when that gives the same values

app = typer.Typer(
    name="bordereau", no_args_is_help=True, add_completion=False, rich_markup_mode="rich",
    help="Contrôle, calcul et export des bordereaux de la campagne de vaccination HPV au collège.",
)
out = LazyConsole(highlight=False, width=None if sys.stdout.isatty() else 120)
err = LazyConsole(stderr=True, highlight=False, soft_wrap=True)  # one line per message, never folded

Files = Annotated[list[Path], typer.Argument(help="Classeurs (.xlsx, .xlsm, .xls, .ods) ou dossiers.",
                                             show_default=False, metavar="FICHIERS")]
RefDir = Annotated[Path | None, typer.Option("--ref", metavar="DOSSIER",
                                             help="Dossier des données de référence (centres.yaml, tarifs/).")]
AsJson = Annotated[bool, typer.Option("--json", help="Écrit le résultat en JSON sur la sortie standard.")]
Today = Annotated[dt.date | None, typer.Option("--today", hidden=True, parser=parse_day, metavar=DATE_METAVAR)]
Db = Annotated[str | None, typer.Option(
    "--db", metavar="REGISTRE", help="Registre : fichier SQLite ou URL postgresql://... (défaut : $BORDEREAU_DB, "
    "sinon le dossier de données de l'utilisateur).")]
KeyFile = Annotated[Path | None, typer.Option(
    "--key-file", metavar="FICHIER",
    help="Clé secrète du registre (défaut : $BORDEREAU_KEY_FILE, sinon le dossier de configuration).")]


def date_option(name: str, help: str):
    """A date option typed JJ/MM/AAAA or AAAA-MM-JJ."""
    return typer.Option(name, parser=parse_day, metavar=DATE_METAVAR, help=f"{help} (JJ/MM/AAAA ou AAAA-MM-JJ).")


def guarded(command):
    """Turn the package's errors into a one-line French message and exit code 2; never show a traceback."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            day = kwargs.get("today")
            day = day.date() if isinstance(day, dt.datetime) else day
            with clock.fixed(day or clock.fixed_day()):
                return command(*args, **kwargs)
        except BordereauError as exc:
            err.print(f"[red]Erreur :[/] {escape(str(exc))}")
            raise typer.Exit(2) from None
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except Exception as exc:
            from bordereau.errors import os_error_line

            # an output that cannot be written (a full disk, a read-only folder), even wrapped by a library
            line = os_error_line(exc)
            if line and not os.environ.get("BORDEREAU_DEBUG"):
                err.print(f"[red]Erreur :[/] {escape(line)}")
                raise typer.Exit(2) from None
            if os.environ.get("BORDEREAU_DEBUG"):
                raise
            err.print(f"[red]Erreur inattendue ({exc.__class__.__name__}).[/] "
                      "Relancez avec BORDEREAU_DEBUG=1 pour le détail technique.")
            raise typer.Exit(2) from None

    return run


def _reference(ref: Path | None):
    from bordereau.reference.data import load_reference
    from bordereau.reference.resources import reference_dir

    started()
    return load_reference(reference_dir(ref))


def _version(value: bool) -> None:
    if value:
        from bordereau import __version__

        typer.echo(f"bordereau {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Affiche la version et s'arrête.")] = False,
) -> None:
    """Contrôle, calcul et export des bordereaux de la campagne de vaccination HPV au collège.

    Données de référence lues, dans cet ordre : --ref DOSSIER, $BORDEREAU_REF, un centres.yaml dans le dossier
    courant, sinon la copie d'exemple livrée avec l'outil (bordereau init DOSSIER en fait une copie à compléter)."""
    pause_start(ctx)
    ctx.call_on_close(_close_ledgers)
    ctx.call_on_close(_stop_reading)


_reading: list = []  # the read started ahead of a command's check (_read_ahead), stopped when the command ends


def _read_ahead(files: list[Path], audit: bool = False) -> None:
    """Start reading the workbooks in a worker thread while the command imports its modules and loads the reference
    data (bordereau/read/ahead.py); the check takes them where it reads. An audit lists its files by their manifests."""
    from bordereau.read import ahead, inputs

    _reading.append(ahead.start(files, inputs.audit_inputs if audit else inputs.expand))


def _stop_reading() -> None:
    while _reading:
        _reading.pop().stop()


def _steps(as_json: bool = False):
    """A progress bar on stderr for long work, only when a person watches a terminal: never with --json, never when
    the output goes to a pipe or a file."""
    from bordereau.progress import Steps

    return Steps(made(err) if not as_json and err.is_terminal and out.is_terminal else None)


def _ledger_exists() -> bool:
    """Whether $BORDEREAU_DB names a ledger (a URL, or a file already there): `check` then uses it by itself."""
    db = os.environ.get("BORDEREAU_DB")
    return bool(db) and ("://" in db or Path(db).expanduser().exists())


_opened: list = []  # the ledgers a command opened: their connections close when it ends (_close_ledgers)


def _close_ledgers() -> None:
    """Close the connections of every ledger the command opened, now rather than whenever the garbage collector
    finds them (a process running several commands, the tests, would otherwise pile connections up on the server)."""
    while _opened:
        _opened.pop().engine.dispose()


def _ledger(db: str | None, key_file: Path | None, create: bool = False):
    """The ledger; only `export`, `audit` and `reconcile` may create it, the other commands need an existing one."""
    from bordereau.ledger import open_ledger

    ledger = open_ledger(db, key_file, create)
    _opened.append(ledger)
    if ledger.new_key is not None:
        err.print(f"[yellow]Clé du registre créée :[/] {escape(str(ledger.new_key.resolve()))}. Sauvegardez-la "
                  "(avec le registre, mais à part) : sans elle, le registre est illisible. Ce message ne sera plus "
                  "affiché.")
    return ledger


@app.command()
@guarded
def check(
    files: Files,
    as_json: AsJson = False,
    report: Annotated[Path | None, typer.Option("--report", metavar="FICHIER",
                                                help="Écrit un rapport HTML autonome.")] = None,
    annotate: Annotated[Path | None, typer.Option(
        "--annotate", metavar="DOSSIER", help="Écrit dans ce dossier une copie annotée de chaque classeur.")] = None,
    ref: RefDir = None,
    db: Db = None,
    key_file: KeyFile = None,
    today: Today = None,
) -> None:
    """Contrôle les bordereaux et dit, cellule par cellule, ce qui est à corriger.

    Avec un registre (--db ou $BORDEREAU_DB), signale aussi les doses déjà facturées et tient compte des doses
    antérieures pour les intervalles."""
    _read_ahead(files)
    import contextlib

    from bordereau.check.run import check_files, expand
    from bordereau.files import write_text
    from bordereau.read import provenance

    reference = _reference(ref)
    ledger = _ledger(db, key_file) if db or _ledger_exists() else None
    with provenance.keeping() if annotate else contextlib.nullcontext():  # the copies record the sheets as read
        with _steps(as_json) as steps:
            result = check_files(files, reference, clock.today(), ledger, steps)
        inputs = tuple(expand(files))
        if report:
            from bordereau.render.html import check_report

            write_text(report, check_report(result), inputs)
        copies = annotated_copies(result, inputs, annotate) if annotate else []
    if as_json:
        from bordereau.render.json_text import dumps

        typer.echo(dumps(result.as_json()))
    else:
        from bordereau.render.terminal import print_check  # rich: only for a person reading

        print_check(out, result)
        if report:
            out.print(f"Rapport : {report}")
    for source, path, note in copies:  # on stderr with --json: stdout holds the document only
        console = err if as_json else out
        if path is None:
            console.print(f"[red]Copie annotée impossible[/] pour {escape(str(source))} : {escape(note)}")
        else:
            console.print(f"Copie annotée : {escape(str(path))}" + (f" ({escape(note)})" if note else ""))
    raise typer.Exit(1 if result.errors else 0)


def annotated_copies(result, inputs: tuple[Path, ...], folder: Path) -> list[tuple[Path, Path | None, str | None]]:
    """(source, copy or None, note or reason) for each readable workbook: a copy that cannot be made is said for its
    file, and the other copies, the findings and the report still come out."""
    from bordereau.files import distinct_names
    from bordereau.render.annotate import CopyFailed, annotate

    names = distinct_names(list(inputs), "-anomalies.xlsx")
    pupils = result.pupils({(f.path, f.sheet, f.row) for f in result.findings})  # only the lines named in a finding
    copies = []
    for source in inputs:
        mine = [f for f in result.findings if f.path == str(source)]
        if any(f.code == "FILE_UNREADABLE" for f in mine):
            continue
        try:
            copies.append((source, *annotate(source, mine, folder, names[source], inputs, pupils)))
        except CopyFailed as exc:
            copies.append((source, None, str(exc)))
    return copies


@app.command()
@guarded
def totals(
    files: Files,
    as_json: AsJson = False,
    by: Annotated[str, typer.Option("--by", metavar="GROUPE",
                                    help="Regroupement : cpam, centre, regime ou prise_en_charge.")] = "cpam",
    xlsx: Annotated[Path | None, typer.Option("--xlsx", metavar="FICHIER",
                                              help="Enregistre le tableau dans ce classeur.")] = None,
    ref: RefDir = None,
    today: Today = None,
) -> None:
    """Calcule la part AMO, complémentaire et FIR de chaque ligne valide, et les sommes."""
    _read_ahead(files)
    from bordereau.check.run import check_files, expand
    from bordereau.price.totals import GROUPINGS
    from bordereau.price.totals import totals as compute

    if by not in GROUPINGS:
        raise BordereauError(f"--by {by} : regroupement inconnu ({', '.join(GROUPINGS)})")
    reference = _reference(ref)
    with _steps(as_json) as steps:
        result = check_files(files, reference, clock.today(), steps=steps)
    sums = compute(result.lines, by, reference)
    if xlsx:
        from bordereau.render.totals_xlsx import write_totals

        write_totals(xlsx, sums, tuple(expand(files)))
    if as_json:
        from bordereau.render.json_text import dumps

        typer.echo(dumps(sums.as_json()))
    else:
        from bordereau.render.terminal import print_totals

        print_totals(out, sums)
        if xlsx:
            out.print(f"Tableau enregistré : {xlsx}")
    raise typer.Exit(1 if result.errors else 0)


@app.command()
@guarded
def export(
    files: Files,
    out_dir: Annotated[Path, typer.Option("--out", metavar="DOSSIER",
                                          help="Dossier d'export à créer (jamais écrasé).")],
    skip_invalid: Annotated[bool, typer.Option(
        "--skip-invalid", help="Exporte les lignes valides, met les lignes à corriger dans a-corriger/ et les lignes "
        "déjà facturées dans deja-facturees.xlsx (code de sortie 0).")] = False,
    no_ledger: Annotated[bool, typer.Option(
        "--no-ledger", help="N'enregistre pas l'export dans le registre (essais uniquement).")] = False,
    ref: RefDir = None,
    db: Db = None,
    key_file: KeyFile = None,
    today: Today = None,
) -> None:
    """Prépare les fichiers à déposer sur PETRA : un dossier par CPAM, l'état FIR du Département.

    Chaque ligne facturée est enregistrée dans le registre : une dose n'est jamais facturée deux fois."""
    _read_ahead(files)
    import bordereau.export.run as exporting
    from bordereau.check.run import check_files, expand
    from bordereau.render.terminal import print_check, print_export

    reference = _reference(ref)
    exporting.check_target(out_dir)
    ledger = None if no_ledger else _ledger(db, key_file, create=True)
    with _steps() as steps:
        result = check_files(files, reference, clock.today(), ledger, steps)
        refused = result.errors and not skip_invalid
        if not refused:
            created = clock.now()
            plan, written = exporting.run(result, reference, out_dir, tuple(expand(files)), created.astimezone(),
                                          ledger, steps)
    if refused:
        print_check(out, result)
        err.print("[red]Export refusé : corrigez les erreurs ci-dessus[/] (ou --skip-invalid pour n'exporter que "
                  "les lignes valides). Rien n'a été écrit.")
        raise typer.Exit(1)
    print_export(out, plan, out_dir, written)
    if ledger is not None:
        out.print(f"Enregistré dans le registre : {ledger.describe()}")
    # --skip-invalid did its job when something was exported; the lines left out are counted above
    raise typer.Exit(0 if plan.bordereaux or plan.fir or not result.errors else 1)


@app.command()
@guarded
def audit(
    files: Files,
    cpam: Annotated[str | None, typer.Option("--cpam", metavar="CODE",
                                             help="Code de la caisse qui audite (ex. 595).")] = None,
    as_json: AsJson = False,
    report: Annotated[Path | None, typer.Option("--report", metavar="FICHIER",
                                                help="Écrit un rapport HTML autonome.")] = None,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", metavar="FICHIER",
                                              help="Écrit l'état des rejets (classeur).")] = None,
    pdf: Annotated[Path | None, typer.Option(
        "--pdf", metavar="FICHIER", help="Écrit l'état des rejets et le bon à payer à signer (PDF).")] = None,
    no_ledger: Annotated[bool, typer.Option(
        "--no-ledger", help="Sans registre : ni comparé aux audits précédents, ni gardé (essais).")] = False,
    ref: RefDir = None,
    db: Db = None,
    key_file: KeyFile = None,
    today: Today = None,
) -> None:
    """Audite les bordereaux reçus par une CPAM : verdict par ligne, montants acceptés et refusés, état des rejets.

    Compare aussi aux audits précédents gardés dans le registre (numéros déjà présentés, doses déjà acceptées) et y
    garde celui-ci."""
    _read_ahead(files, audit=True)
    from bordereau.audit.run import audit_files, audit_inputs

    history = None
    if not no_ledger:
        from bordereau.ledger.audits import LedgerAuditHistory

        history = LedgerAuditHistory(_ledger(db, key_file, create=True))
    reference = _reference(ref)
    with _steps(as_json) as steps:
        result = audit_files(files, reference, clock.today(), cpam, history, steps)
    inputs = tuple(audit_inputs(files))
    if report:
        from bordereau.files import write_text
        from bordereau.render.audit_files import audit_report

        write_text(report, audit_report(result), inputs)
    if xlsx:
        from bordereau.render.audit_files import write_statement

        write_statement(xlsx, result, inputs, reference)
    if pdf:
        from bordereau.render.pdf_rejections import write_rejections_pdf

        write_rejections_pdf(pdf, result, inputs, reference)
    if as_json:
        from bordereau.render.audit_json import dumps

        typer.echo(dumps(result))
    else:
        from bordereau.render.audit_terminal import print_audit

        print_audit(out, result)
        for label, path in (("Rapport", report), ("État des rejets", xlsx), ("État des rejets et bon à payer", pdf)):
            if path:
                out.print(f"{label} : {path}")
    raise typer.Exit(1 if result.errors else 0)


@app.command()
@guarded
def sent(
    numbers: Annotated[list[str], typer.Argument(help="Numéros de bordereau (HPV-...).", show_default=False,
                                                 metavar="NUMÉROS")],
    on: Annotated[dt.date, date_option("--on", "Date du dépôt sur PETRA")],
    db: Db = None,
    key_file: KeyFile = None,
    today: Today = None,
) -> None:
    """Enregistre le dépôt de bordereaux sur PETRA (point de départ du délai de paiement de deux mois)."""
    from bordereau.ledger.status import mark_sent

    mark_sent(_ledger(db, key_file), numbers, on)
    out.print(f"{len(numbers)} bordereau(x) déposé(s) le {on:%d/%m/%Y}.")


@app.command()
@guarded
def reconcile(
    statements: Annotated[list[Path] | None, typer.Argument(
        help="Relevés de paiement ou relevés bancaires (.csv, .xlsx).", show_default=False, metavar="RELEVÉS")] = None,
    ignore: Annotated[list[int] | None, typer.Option(
        "--ignorer", metavar="ID", help="Écarte ce paiement (ce n'est pas un paiement de CPAM) ; tracé au registre.",
        show_default=False)] = None,
    assign: Annotated[tuple[int, str] | None, typer.Option(
        "--affecter", metavar="ID NUMERO", help="Affecte ce paiement à ce bordereau ; tracé au registre.",
        show_default=False)] = None,
    as_json: AsJson = False,
    ref: RefDir = None,
    db: Db = None,
    key_file: KeyFile = None,
    today: Today = None,
) -> None:
    """Importe les paiements des CPAM et les rapproche des bordereaux (numéro au libellé, montant exact, somme).

    Un relevé bancaire (Date, Libellé, Débit, Crédit) est lu tel quel : les débits sont ignorés. Un paiement que
    rien ne rapproche se traite à la main avec --ignorer ou --affecter (son n° est donné par status)."""
    from bordereau.ledger import manual
    from bordereau.ledger.payments import reconcile as run
    from bordereau.ledger.payments import unmatched
    from bordereau.ledger.statements import must_be_a_file
    from bordereau.render.ledger_views import print_manual, print_reconcile, print_unmatched, reconcile_json

    if not statements and not ignore and not assign:
        raise UsageError("donnez un relevé à importer, ou --ignorer ID, ou --affecter ID NUMERO")
    for path in statements or ():
        must_be_a_file(path)  # before the ledger is opened, or made
    ledger = _ledger(db, key_file, create=bool(statements))
    done = [("écarté", manual.ignore(ledger, i), None) for i in ignore or ()]
    if assign:
        done.append(("affecté", manual.assign(ledger, assign[0], assign[1]), assign[1]))
    found, problems = run(ledger, statements, _reference(ref)) if statements else ([], [])
    left = unmatched(ledger)
    if as_json:
        typer.echo(json.dumps(reconcile_json(found, left, problems, done), ensure_ascii=False, indent=2))
    else:
        print_manual(out, done)
        if statements:
            print_reconcile(out, found)
        print_unmatched(out, left)
        for u in problems:
            err.print(f"[red]Ligne illisible, non importée :[/] {escape(u.text)}")
    raise typer.Exit(1 if left or problems else 0)


@app.command()
@guarded
def reject(
    statements: Annotated[list[Path], typer.Argument(help="États de rejet des CPAM (.xlsx, .csv).",
                                                     show_default=False, metavar="ÉTATS")],
    db: Db = None,
    key_file: KeyFile = None,
    today: Today = None,
) -> None:
    """Importe les lignes refusées par une CPAM : elles sortent du dû, à refacturer une fois corrigées."""
    from bordereau.ledger.rejects import reject as run
    from bordereau.ledger.statements import must_be_a_file

    for path in statements:
        must_be_a_file(path)  # before the ledger is opened
    result = run(_ledger(db, key_file), statements, clock.today())
    out.print(f"{len(result.applied)} ligne(s) rejetée(s) enregistrée(s), {len(result.already)} déjà connue(s).")
    for r in result.unknown:
        err.print(f"[red]Inconnue du registre :[/] {escape(r.bordereau)} ligne {r.line_no} "
                  f"({escape(r.source)}, ligne {r.row})")
    for r, why in result.invalid:
        err.print(f"[red]Non appliqué :[/] {escape(r.bordereau)} ligne {r.line_no} "
                  f"({escape(r.source)}, ligne {r.row}) : {why}")
    raise typer.Exit(1 if result.unknown or result.invalid else 0)


@app.command()
@guarded
def status(
    as_json: AsJson = False,
    report: Annotated[Path | None, typer.Option("--report", metavar="FICHIER",
                                                help="Écrit la page HTML du suivi.")] = None,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", metavar="FICHIER",
                                              help="Écrit le classeur de suivi (finances).")] = None,
    number: Annotated[str | None, typer.Option("--bordereau", metavar="NUMÉRO",
                                               help="Détaille les lignes de ce bordereau.")] = None,
    ref: RefDir = None,
    db: Db = None,
    key_file: KeyFile = None,
    today: Today = None,
) -> None:
    """Où en est chaque bordereau : facturé, payé, rejeté, reste dû, retard (au-delà de deux mois)."""
    from bordereau.files import write_text
    from bordereau.ledger.status import lines_of
    from bordereau.ledger.status import status as compute
    from bordereau.render.ledger_views import print_lines, print_status, status_page

    if number:
        lines = lines_of(_ledger(db, key_file), number)
        if as_json:
            typer.echo(json.dumps(lines, ensure_ascii=False, indent=2, default=str))
        else:
            print_lines(out, number, lines)
        return
    reference = _reference(ref)
    names = {code: c.nom for code, c in reference.cpams.items()}
    result = compute(_ledger(db, key_file), clock.today())
    if report:
        write_text(report, status_page(result, names))
    if xlsx:
        from bordereau.render.status_xlsx import write_status

        write_status(xlsx, result, names)
    if as_json:
        typer.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
    else:
        print_status(out, result, names)
        for label, path in (("Page de suivi", report), ("Classeur de suivi", xlsx)):
            if path:
                out.print(f"{label} : {path}")


@app.command()
@guarded
def purge(
    before: Annotated[dt.date, date_option("--before", "Purge les lignes administrées avant cette date")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Dit ce qui serait purgé, sans rien effacer.")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Purge sans demander de confirmation.")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Purge aussi les lignes des bordereaux non soldés (à déposer, impayés, partiels, en retard, "
        "trop-perçus).")] = False,
    db: Db = None,
    key_file: KeyFile = None,
    today: Today = None,
) -> None:
    """Efface noms, dates de naissance et NIR masqués des lignes anciennes ; montants, empreintes et historique
    restent (le rapprochement continue de fonctionner). Les bordereaux non soldés sont gardés sauf --force."""
    from bordereau.ledger import purge as purging
    from bordereau.render.ledger_views import print_purge_plan

    ledger = _ledger(db, key_file)
    plan = purging.plan(ledger, before, force)
    print_purge_plan(out, plan)
    if dry_run:
        return
    if plan.count and not yes and not _confirm(f"Purger {plan.count} ligne(s) ?"):
        out.print("Rien n'a été purgé.")
        raise typer.Exit(1)
    count = purging.apply(ledger, plan)
    out.print(f"{count} ligne(s) purgée(s) de leurs données personnelles (administrées avant le {before:%d/%m/%Y}).")


def _confirm(question: str) -> bool:
    """A yes/no question on the terminal, answered in French (o/oui) or English (y/yes); no answer is no."""
    try:
        answer = typer.prompt(f"{question} [o/N]", default="", show_default=False, err=True)
    except typer.Abort:
        return False
    return answer.strip().lower() in ("o", "oui", "y", "yes")


tarifs_app = typer.Typer(help="Les tarifs en vigueur : vaccins, codes, prix, barème de taux.")
app.add_typer(tarifs_app, name="tarifs")


@tarifs_app.callback(invoke_without_command=True)
@guarded
def tarifs(
    ctx: typer.Context,
    on: Annotated[str | None, typer.Option(
        "--date", metavar=DATE_METAVAR, help="Jour voulu, JJ/MM/AAAA ou AAAA-MM-JJ (défaut : aujourd'hui).")] = None,
    ref: RefDir = None,
    today: Today = None,
) -> None:
    """Ce qui est en vigueur un jour donné : chaque vaccin, ses codes, ses prix public et négocié, et le barème de
    taux (classe × couverture) avec la source de chaque règle."""
    from bordereau.render.tarifs import print_tarifs

    if ctx.invoked_subcommand is not None:
        return
    day = clock.today()
    if on is not None:
        try:
            day = parse_day(on)
        except typer.BadParameter:
            raise BordereauError(f"--date {on} : date attendue au format JJ/MM/AAAA ou AAAA-MM-JJ") from None
    print_tarifs(out, _reference(ref), day)


@tarifs_app.command("importer")
@guarded
def tarifs_import(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(metavar="FICHIER", help="Fichier CIS_CIP_bdpm.txt de la BDPM.",
                                                show_default=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Montre les changements sans rien écrire.")] = False,
    ref: RefDir = None,
    today: Today = None,
) -> None:
    """Importe les prix publics de la BDPM : chaque prix nouveau devient une observation datée (du jour) avec sa
    source, chaque présentation nouvelle d'un vaccin connu est ajoutée ; rien n'est jamais effacé."""
    from bordereau.reference.bdpm import OBSERVATIONS, plan_import, write_observations

    parent_day = ctx.parent.params.get("today") if ctx.parent else None
    if today is None and parent_day is not None:  # `tarifs --today J importer`: the group's option counts too
        with clock.fixed(parent_day):
            return tarifs_import(ctx, source, dry_run=dry_run, ref=ref, today=parent_day)
    reference = _reference(ref)
    changes, observations, encoding = plan_import(reference, source, clock.today())
    out.print(f"{source} lu ({encoding}) : {len(changes)} changement(s) au {clock.today():%d/%m/%Y}.")
    for change in changes:
        out.print(f"  {escape(change.describe())}")
    if changes and not dry_run:
        write_observations(reference.folder, observations)
        _reference(reference.folder)  # what was written loads again, or the command says why
        out.print(f"Enregistré dans {reference.folder / OBSERVATIONS}.")
    elif changes:
        out.print("--dry-run : rien n'a été écrit.")


@app.command()
@guarded
def init(
    folder: Annotated[Path, typer.Argument(help="Dossier où écrire centres.yaml et tarifs/.", show_default=False,
                                           metavar="DOSSIER")],
) -> None:
    """Écrit une copie modifiable des données de référence (centres.yaml, tarifs/) à compléter par le Département.

    N'écrit jamais par-dessus une copie existante."""
    from bordereau.reference.data import load_reference
    from bordereau.reference.resources import init_reference

    target = init_reference(folder)
    out.print(f"Données de référence écrites dans {escape(str(target))} : centres.yaml et tarifs/.")
    out.print("À compléter avant tout envoi réel (valeurs marquées « exemple: true » à remplacer) :")
    for notice in load_reference(target).example_notices():
        out.print(f"  - {escape(notice)}")
    out.print("  - Adresses et téléphones des centres, adresses de réception des CPAM (champs \"\" dans centres.yaml).")
    out.print("  - Prix négociés du marché du Département et éventuels avenants de taux (tarifs/).")
    out.print(f"Pour les utiliser : --ref {escape(str(target))}, ou BORDEREAU_REF={escape(str(target))}, "
              "ou lancez bordereau depuis ce dossier.")


@app.command()
@guarded
def sample(
    output: Annotated[Path, typer.Argument(help="Classeur à créer (.xlsx).", metavar="FICHIER")],
    lines: Annotated[int, typer.Option("--lines", min=1, metavar="NOMBRE", help="Nombre de lignes.")] = 60,
    finess: Annotated[str, typer.Option("--centre", metavar="FINESS",
                                        help="FINESS géographique du centre.")] = "590780102",
    start: Annotated[dt.date, date_option("--du", "Début de période")] = "2026-10-01",
    end: Annotated[dt.date, date_option("--au", "Fin de période")] = "2026-10-31",
    seed: Annotated[int, typer.Option("--seed", metavar="NOMBRE", help="Graine du tirage.")] = 1,
    errors: Annotated[bool, typer.Option("--erreurs", help="Introduit des erreurs typiques.")] = False,
    layout: Annotated[str, typer.Option("--mise-en-page", metavar="MISE_EN_PAGE",
                                        help="standard, ou libre (libellés, ordre, dates et prix en texte comme les "
                                        "saisissent certains centres).")] = "standard",
    ref: RefDir = None,
) -> None:
    """Crée un bordereau d'exemple réaliste (noms inventés, NIR fictifs valides)."""
    from bordereau.files import atomic_path
    from bordereau.samples import example_workbook

    if layout not in ("standard", "libre"):
        raise BordereauError(f"mise en page « {layout} » inconnue : standard ou libre")
    if output.suffix.lower() != ".xlsx":  # it wrote a workbook under any name: « exemple.csv »
        raise BordereauError(f"{output} : le bordereau d'exemple est un classeur, son nom finit par .xlsx")
    if start > end:
        raise BordereauError(f"période du {start:%d/%m/%Y} au {end:%d/%m/%Y} : --du vient après --au")
    if output.exists():
        raise BordereauError(f"{output} existe déjà : choisissez un autre nom")
    reference = _reference(ref)
    centre = reference.centre_by_finess.get(finess)
    if centre is None:
        raise BordereauError(f"aucun centre de FINESS géographique {finess} dans centres.yaml")
    with atomic_path(output) as temp:
        example_workbook(temp, reference, centre, start, end, lines, seed, errors, layout)
    out.print(f"Bordereau d'exemple écrit : {output} ({lines} lignes, {centre.nom})")


users = typer.Typer(name="users", no_args_is_help=True, help="Comptes du service (bordereau serve).")
app.add_typer(users)


def _password(password_stdin: bool, confirm: bool = True) -> str:
    """The password from the first line of standard input, or typed twice at a prompt (never an argument)."""
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Mot de passe", hide_input=True, confirmation_prompt=confirm)


PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="Lit le mot de passe sur l'entrée standard.")]


@users.command("add")
@guarded
def users_add(
    login: Annotated[str, typer.Argument(metavar="IDENTIFIANT", help="Identifiant du compte.", show_default=False)],
    role: Annotated[str, typer.Option("--role", metavar="RÔLE", help="centre, departement ou cpam.")],
    centre: Annotated[list[str] | None, typer.Option("--centre", metavar="FINESS", help="FINESS géographique (rôle "
                                                     "centre ; plusieurs possibles).")] = None,
    cpam: Annotated[str | None, typer.Option("--cpam", metavar="CODE",
                                                   help="Code de la caisse (rôle cpam), ex. 595.")] = None,
    password_stdin: PasswordStdin = False,
    ref: RefDir = None,
    db: Db = None,
    key_file: KeyFile = None,
) -> None:
    """Crée un compte (mot de passe de 12 caractères au moins, haché avec Argon2id)."""
    from bordereau.ledger.accounts import add_user

    reference = _reference(ref)
    ledger = _ledger(db, key_file, create=True)
    user = add_user(ledger, reference, login, _password(password_stdin), role, centre, cpam)
    scope = f" ({', '.join(user.centres)})" if user.centres else f" (CPAM {user.cpam})" if user.cpam else ""
    out.print(f"Compte {escape(user.login)} créé : {user.role}{scope}.")


@users.command("list")
@guarded
def users_list(db: Db = None, key_file: KeyFile = None) -> None:
    """Liste les comptes."""
    from rich.table import Table

    from bordereau.ledger.accounts import list_users

    table = Table("Identifiant", "Rôle", "Centres / CPAM", "Actif")
    for u in list_users(_ledger(db, key_file)):
        table.add_row(escape(u.login), u.role, ", ".join(u.centres) or (u.cpam or "–"), "oui" if u.active else "non")
    out.print(table)


@users.command("disable")
@guarded
def users_disable(login: Annotated[str, typer.Argument(metavar="IDENTIFIANT", show_default=False)], db: Db = None,
                  key_file: KeyFile = None) -> None:
    """Désactive un compte et ferme ses sessions."""
    from bordereau.ledger.accounts import disable_user

    disable_user(_ledger(db, key_file), login)
    out.print(f"Compte {escape(login)} désactivé.")


@users.command("password")
@guarded
def users_password(login: Annotated[str, typer.Argument(metavar="IDENTIFIANT", show_default=False)],
                   password_stdin: PasswordStdin = False,
                   db: Db = None, key_file: KeyFile = None) -> None:
    """Change le mot de passe d'un compte (et le réactive)."""
    from bordereau.ledger.accounts import set_password

    set_password(_ledger(db, key_file), login, _password(password_stdin))
    out.print(f"Mot de passe de {escape(login)} changé.")


@app.command()
@guarded
def serve(
    host: Annotated[str, typer.Option("--host", metavar="ADRESSE", help="Adresse d'écoute.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", metavar="PORT", help="Port d'écoute.")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, metavar="NOMBRE", help="Processus ; plusieurs partagent "
                                         "le registre (PostgreSQL pour plusieurs machines).")] = 1,
    https: Annotated[bool, typer.Option("--https", help="Service joint en HTTPS (ou derrière un serveur frontal "
                                        "HTTPS) : cookies Secure, HSTS.")] = False,
    forwarded: Annotated[str | None, typer.Option(
        "--forwarded-allow-ips", metavar="ADRESSES",
        help="Adresses du serveur frontal dont on croit les en-têtes X-Forwarded-For et X-Forwarded-Proto "
             "(séparées par des virgules ; défaut : 127.0.0.1).")] = None,
    pool: Annotated[int, typer.Option("--connexions", min=1, max=100, metavar="NOMBRE",
                                      help="Connexions PostgreSQL gardées par processus (autant de plus en "
                                      "pointe).")] = 5,
    certfile: Annotated[Path | None, typer.Option("--certificat", metavar="FICHIER", help="Certificat TLS (PEM), pour "
                                                  "servir en HTTPS sans serveur frontal.")] = None,
    keyfile: Annotated[Path | None, typer.Option("--cle-tls", metavar="FICHIER",
                                                 help="Clé privée du certificat TLS (PEM).")] = None,
    ref: RefDir = None,
    db: Db = None,
    key_file: KeyFile = None,
) -> None:
    """Lance le service web : les centres déposent leurs bordereaux depuis un navigateur."""
    import uvicorn

    from bordereau.ledger.accounts import count_users
    from bordereau.ledger.db import default_db
    from bordereau.ledger.keys import default_key_file
    from bordereau.web import launch

    db = db or default_db()
    _reference(ref)  # invalid reference data: one line and exit 2 before anything listens
    if (certfile is None) != (keyfile is None):
        raise BordereauError("--certificat et --cle-tls vont ensemble")
    launch.check_shared(db, workers)
    ledger = _ledger(db, key_file, create=True)
    launch.share_with_workers(db, key_file or default_key_file(), ref, https or certfile is not None, pool)
    if not count_users(ledger):
        err.print("Aucun compte : créez-en un avec bordereau users add LOGIN --role ...")
    where = ledger.describe()
    if ledger.engine.dialect.name == "postgresql":
        where += f", {launch.connections(workers, pool)} connexions au plus"
    ledger.engine.dispose()
    out.print(f"Service sur http{'s' if certfile else ''}://{host}:{port}/ ({workers} processus ; registre : {where})")
    uvicorn.run("bordereau.web:create_app", factory=True, host=host, port=port, workers=workers,
                ssl_certfile=str(certfile) if certfile else None, ssl_keyfile=str(keyfile) if keyfile else None,
                proxy_headers=True, forwarded_allow_ips=forwarded, log_level="warning", server_header=False)


def command():
    """The click command of the app, with its help in French (see bordereau/cli_french.py)."""
    return frenchify(typer.main.get_command(app))


def main() -> None:
    """The `bordereau` program: usage errors become one French line on stderr, exit code 2."""
    from bordereau.cli_french import click_errors

    try:
        code = command().main(prog_name="bordereau", standalone_mode=False)
    except click_errors.UsageError as exc:
        if exc.ctx is not None and type(exc).__name__ == "NoArgsIsHelpError":
            typer.echo(exc.ctx.get_help())
            sys.exit(0)
        sub = f" {exc.ctx.info_name}" if exc.ctx is not None and exc.ctx.parent else ""
        err.print(f"[red]Erreur d'utilisation :[/] {escape(usage_message(exc))} (voir bordereau{sub} --help)")
        sys.exit(2)
    except typer.Abort:
        err.print("Interrompu.")
        sys.exit(1)
    sys.exit(code or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
