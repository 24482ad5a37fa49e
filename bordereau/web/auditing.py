"""A CPAM agent's audit through the service: `bordereau audit FILES --cpam CODE --json --report --xlsx --pdf` with the
CLI's ledger, run in one of the checker's child processes (a hostile file never takes the service down).

The files sent are written under their shown names in a private temporary folder and audited from there, an export's
folder where `export` wrote it: so that the answer, paths included, is the one the CLI gives when run in that folder.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from bordereau import clock
from bordereau.ledger.audit_runs import AuditRun
from bordereau.web.upload import display_name


def audit_in_child(config, cwd: str, names: list[str], cpam: str, today: dt.date) -> AuditRun:
    """In a child: the audit of `names` (relative to `cwd`) for `cpam`, recorded in the ledger, and its files."""
    from bordereau.audit.run import audit_files
    from bordereau.ledger.audits import LedgerAuditHistory
    from bordereau.render.audit_files import audit_report, write_statement
    from bordereau.render.audit_json import dumps
    from bordereau.render.pdf_rejections import write_rejections_pdf
    from bordereau.web.checker import _context

    reference, ledger = _context(config)
    history = LedgerAuditHistory(ledger)
    here = os.getcwd()
    with clock.fixed(today), tempfile.TemporaryDirectory(prefix="bordereau-audit-out-") as out:
        os.chdir(cwd)
        try:
            result = audit_files([Path(n) for n in names], reference, today, cpam, history)
            xlsx, pdf = Path(out) / "rejets.xlsx", Path(out) / "rejets.pdf"
            write_statement(xlsx, result, (), reference)
            write_rejections_pdf(pdf, result, (), reference)
            return AuditRun(dumps(result), audit_report(result), xlsx.read_bytes(), pdf.read_bytes(),
                            history.recorded, today)
        finally:
            os.chdir(here)


def stage(folder: Path, files: list[tuple[str | None, bytes]]) -> list[str]:
    """Write the files sent into `folder` under their shown names (made unique); returns those names."""
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
