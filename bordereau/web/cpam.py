"""The CPAM agent's operations, shared by the API and the pages: the same library calls as `audit` and `export`'s
folders, no business rule here. Every action is written in the audit log; whatever is not the agent's is 404.

The audit itself runs in one of the checker's child processes (checker._audit): the files sent are written under
their shown names in a private temporary folder and audited from there, an export's folder unpacked from the zip the
service keeps (ledger/dispatch), so that the answer, paths included, is the one the CLI gives when run in the folder
holding them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request

from bordereau import clock
from bordereau.ledger import audit_runs, dispatch, staging
from bordereau.ledger.journal import log
from bordereau.web import exports
from bordereau.web.checker import Unreadable
from bordereau.web.security import MAX_UPLOAD, NotFound, TooLarge
from bordereau.web.upload import display_name

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Refused(Exception):
    """Nothing to audit, or a file the reader cannot survive (422, in French)."""


@dataclass(frozen=True)
class Done:
    id: int
    answer: str  # `audit --json`'s text


def agent(user) -> None:
    """Only a CPAM agent audits; to anyone else these routes do not exist."""
    if user.role != "cpam" or not user.cpam:
        raise NotFound()


def run_audit(request: Request, user, files: list[tuple[str | None, bytes]], export_id: int | None) -> Done:
    """Audit the files sent, or the agent's folder of an export, for the agent's caisse, as `audit` does with the
    ledger; keep it (its history, answer, report and statement)."""
    agent(user)
    state = request.app.state
    today = clock.today()
    if export_id is not None:
        row = dispatch.find(state.ledger, user, export_id)
        archive = dispatch.archive(state.ledger, row) if row is not None and row.folder else None
        if archive is None:
            raise NotFound()
        with staging.folder("audit") as folder:
            exports.unpack_folder(archive, row.folder, folder)
            names, run = [row.folder], _audit(state, str(folder), [row.folder], user.cpam, today)
    else:
        if not files:
            raise Refused("Choisissez les classeurs reçus, ou un export, à auditer.")
        if sum(len(content) for _, content in files) > MAX_UPLOAD:
            raise TooLarge()
        with staging.folder("audit") as folder:
            names = stage(folder, files)
            run = _audit(state, str(folder), names, user.cpam, today)
    return Done(audit_runs.save(state.ledger, user, run, names, export_id), run.answer)


def stage(folder: Path, files: list[tuple[str | None, bytes]]) -> list[str]:
    """Write the files sent into `folder` under their shown names (made unique; never a path given by the sender);
    returns those names."""
    names: list[str] = []
    for given, content in files:
        name = display_name(given)
        stem, suffix, n = Path(name).stem, Path(name).suffix, 1
        while name in names:
            n += 1
            name = f"{stem} ({n}){suffix}"
        (folder / name).write_bytes(content)
        names.append(name)
    return names


def _audit(state, cwd: str, names: list[str], cpam: str, today):
    try:
        return state.checker.audit(cwd, names, cpam, today)
    except Unreadable as unreadable:
        raise Refused(f"Audit impossible : {unreadable}. Rien n'a été enregistré.") from None


def audit_row(request: Request, user, audit_id: int, personal: bool = False):
    """The agent's audit; with `personal`, only while its answer and statement are kept (not purged)."""
    row = audit_runs.find(request.app.state.ledger, user, audit_id)
    if row is None or (personal and row.purged_at is not None):
        raise NotFound()
    return row


def statement(request: Request, user, audit_id: int, kind: str) -> tuple[bytes, str, str]:
    """The rejection statement of an audit (`xlsx` as `audit --xlsx`, `pdf` as `audit --pdf`): bytes, name, type."""
    row = audit_row(request, user, audit_id, personal=True)
    content = row.statement_xlsx if kind == "xlsx" else row.statement_pdf
    log(request.app.state.ledger, user.login, "statement", f"audit {audit_id} : état des rejets ({kind})")
    name = f"REJETS-{row.cpam}-{row.audited_on:%Y%m%d}-{row.id}.{kind}"
    return content, name, XLSX if kind == "xlsx" else "application/pdf"


def report(request: Request, user, audit_id: int) -> str:
    row = audit_row(request, user, audit_id, personal=True)
    log(request.app.state.ledger, user.login, "report", f"audit {audit_id} : rapport")
    return row.report
