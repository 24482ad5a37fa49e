"""The operations that both the API and the pages perform: the same library calls, no business rule here."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from bordereau import clock
from bordereau.ledger import uploads
from bordereau.web.security import MAX_UPLOAD, NotFound, TooLarge
from bordereau.web.upload import display_name


@dataclass(frozen=True)
class Sent:
    """One file sent: stored (id) or refused (reason), with check --json's file and findings for it."""

    name: str
    id: int | None
    file: dict | None
    findings: list[dict]
    refused: str | None = None

    def as_json(self) -> dict:
        return {"id": self.id, "file": self.file, "findings": self.findings,
                "deposable": self.refused is None and not any(f["severity"] == "error" for f in self.findings)}


def send(request: Request, user, given_name: str | None, content: bytes) -> Sent:
    """Check a file with the ledger (in a child process), then store it if it is one of the account's centres'."""
    if len(content) > MAX_UPLOAD:
        raise TooLarge()
    state = request.app.state
    name = display_name(given_name)
    checked = state.checker.check(content, name, clock.today())
    file = checked.files[0] if checked.files else None
    try:
        summary = uploads.accept(user, checked, state.reference)
    except uploads.Refused as refused:
        return Sent(name, None, file, checked.findings, str(refused))
    upload_id = uploads.save(state.ledger, user, name, content, checked, summary)
    return Sent(name, upload_id, summary, checked.findings)


def visible(request: Request, user, upload_id: int):
    row = uploads.find(request.app.state.ledger, user, upload_id)
    if row is None:
        raise NotFound()
    return row


def annotated(request: Request, row) -> bytes:
    if row.answer is None:
        raise NotFound()  # purged
    content = uploads.content(request.app.state.ledger, row.sha256)
    if content is None:
        raise NotFound()
    return request.app.state.checker.annotate(content, row.file_name, uploads.answer(row)["findings"],
                                              uploads.pupils(row))


def report(row) -> str:
    """The HTML report of the upload, as `check --report` writes it."""
    import pandas as pd

    from bordereau.check.model import CheckResult, TableSummary
    from bordereau.findings import Finding
    from bordereau.render.html import check_report

    stored = uploads.answer(row)
    files = [TableSummary(**stored["file"])] if stored["file"] else []
    return check_report(CheckResult(files, [Finding(**f) for f in stored["findings"]], pd.DataFrame()))


def annotated_name(row) -> str:
    from pathlib import Path

    return f"{Path(row.file_name).stem}-anomalies.xlsx"
