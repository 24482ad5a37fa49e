"""`export`: the files each CPAM receives through PETRA, the FIR statement, and the lines to correct.

Planning (export/plan) is separate from writing (render/export_files) and from the ledger (ledger/record).
The whole export is built in a temporary folder beside the target and moved into place in one rename: a failure
leaves nothing half-written, and an existing export is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import tempfile
from pathlib import Path

from bordereau.check.model import CheckResult
from bordereau.errors import UsageError
from bordereau.export.plan import ExportPlan, plan
from bordereau.files import cannot_write, owner_tag
from bordereau.progress import NONE, Steps
from bordereau.reference.data import Reference


def check_target(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out} existe déjà : un export n'est jamais écrasé, choisissez un autre dossier")


def temp_folder(out: Path) -> Path:
    """The folder an export is built in, beside its final place (so that the last step is one rename). Its name says
    which process made it (`.NAME.<host>-<pid>.XXXXXXXX.tmp`): a folder left by a killed process can be told from the
    folder of an export still running (ledger.record.sweep)."""
    with cannot_write(out):
        out.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{out.name}.{owner_tag()}.", suffix=".tmp", dir=out.parent))


def write(export: ExportPlan, out: Path, inputs: tuple[Path, ...], temp: Path | None = None,
          extra: dict[str, str] | None = None) -> list[Path]:
    """Write every file into a temporary folder, then move it to `out` in one rename. Returns the files written.

    `extra` files (name -> text) are written at the top of the folder before the rename.
    """
    from bordereau.render.export_files import write_all

    check_target(out)
    if any(out.resolve() == p.resolve() or out.resolve() in p.resolve().parents for p in inputs):
        raise UsageError(f"{out} : le dossier d'export ne peut pas contenir les fichiers d'entrée")
    temp = temp or temp_folder(out)
    try:
        with cannot_write(out):
            written = write_all(export, temp, export.reasons)
            for name, text in (extra or {}).items():
                (temp / name).write_text(text, encoding="utf-8")
            os.chmod(temp, 0o755)
            pause("before-rename")
            if out.exists():
                out.rmdir()  # empty, checked above
            os.rename(temp, out)
            pause("after-rename")
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return [out / p.relative_to(temp) for p in written]


def pause(stage: str) -> None:
    """Test hook: BORDEREAU_TEST_CRASH=<stage> kills the process there, as a power cut or a kill -9 would."""
    if os.environ.get("BORDEREAU_TEST_CRASH") == stage:
        os.kill(os.getpid(), signal.SIGKILL)


def run(result: CheckResult, ref: Reference, out: Path, inputs: tuple[Path, ...], created: dt.datetime,
        ledger=None, steps: Steps = NONE, on_complete=None) -> tuple[ExportPlan, list[Path]]:
    """Plan, record in the ledger (when there is one) and write an export; all of it, or nothing.

    `on_complete(connection, export_id, plan, out)` runs in the transaction that marks the export done (the service
    keeps its zip and marks its uploads there); should it fail, the export is undone and its folder removed."""
    check_target(out)
    steps.add(3)
    steps.step("Préparation des bordereaux")
    export = plan(result, ref, created)
    if ledger is None:
        steps.step("Écriture des fichiers")
        return export, write(export, out, inputs)
    steps.step("Enregistrement au registre")
    from bordereau.ledger import record

    record.sweep(out.parent, ledger)
    export.ledger = ledger.identity
    temp = temp_folder(out)
    pause("before-reserve")
    try:
        export_id = record.reserve(ledger, export, out, result.lines, temp)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    pause("after-reserve")
    steps.step("Écriture des fichiers")
    try:
        mark = record.marker(export_id, ledger, hooked=on_complete is not None)
        written = write(export, out, inputs, temp, {record.MARKER: mark})
    except BaseException:
        record.cancel(ledger, export_id)
        raise
    also = None if on_complete is None else (lambda connection: on_complete(connection, export_id, export, out))
    try:
        record.complete(ledger, export_id, out, also)
    except BaseException:
        record.cancel(ledger, export_id)
        shutil.rmtree(out, ignore_errors=True)
        raise
    return export, written
