"""Purging personal data from old lines: names, birth dates and masked NIR go; amounts, hashes and the history of
bordereaux stay, so reconciliation and the duplicate checks go on working.

A bordereau still open (not deposited, unpaid, part-paid, late or overpaid) may yet need its lines to answer a CPAM:
its lines are kept unless forced. `plan` says what would go; `apply` does it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from bordereau import clock
from bordereau.ledger.schema import billed_lines, rejections
from bordereau.ledger.status import status

CLOSED = ("payé", "rejeté")  # nothing is owed either way: the lines are no longer needed to answer a CPAM


@dataclass(frozen=True)
class PurgePlan:
    before: dt.date
    lines: dict[str, int]  # bordereau -> lines that would be purged
    open: dict[str, tuple[int, str]]  # bordereau still open -> (its lines administered before, its state)
    forced: bool

    @property
    def count(self) -> int:
        return sum(self.lines.values())

    @property
    def kept(self) -> int:
        return 0 if self.forced else sum(n for n, _ in self.open.values())


def plan(ledger, before: dt.date, force: bool = False) -> PurgePlan:
    """What `apply` would purge: lines administered before `before` and not purged yet, of closed bordereaux (of
    every bordereau when `force`)."""
    c = billed_lines.c
    with ledger.engine.connect() as connection:
        counts = dict(connection.execute(
            sa.select(c.bordereau, sa.func.count()).where(c.administered_on < before, c.purged_at.is_(None))
            .group_by(c.bordereau)).all())
    states = dict(zip(*(status(ledger, clock.today()).bordereaux[k] for k in ("number", "state")), strict=True))
    still_open = {number: (n, states.get(number, "?")) for number, n in counts.items()
                  if states.get(number) not in CLOSED}
    lines = {number: n for number, n in counts.items() if force or number not in still_open}
    return PurgePlan(before, dict(sorted(lines.items())), dict(sorted(still_open.items())), force)


def apply(ledger, purge: PurgePlan) -> int:
    """Purge the lines of `purge`'s bordereaux, the service's uploads of periods ended before the date (stored
    files, findings, pupils' names) and its CPAM audits made before it (answer, report, statement); returns how many
    lines were purged. The purge is written in the audit log."""
    from bordereau.ledger.audit_runs import purge_audits
    from bordereau.ledger.journal import log_event
    from bordereau.ledger.uploads import purge_uploads

    numbers = list(purge.lines)
    c = billed_lines.c
    purged = 0
    with ledger.engine.begin() as connection:
        if numbers:
            result = connection.execute(
                billed_lines.update()
                .where(c.administered_on < purge.before, c.purged_at.is_(None), c.bordereau.in_(numbers))
                .values(nom=None, prenom=None, birth_date=None, nir_masked=None, rejected_reason=None,
                        purged_at=clock.now()))
            purged = result.rowcount
            # a rejection's reason may quote a date of birth: keep its code only
            connection.execute(rejections.update().where(rejections.c.bordereau.in_(numbers))
                               .values(reason=sa.func.coalesce(rejections.c.code, "(purgé)")))
        sent = purge_uploads(connection, purge.before)
        audited = purge_audits(connection, purge.before)
        log_event(connection, None, "purge", f"avant le {purge.before:%d/%m/%Y} : {purged} ligne(s), "
                                             f"{sent} envoi(s), {audited} audit(s) du service")
    return purged
