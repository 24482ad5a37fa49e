"""What each bordereau of the ledger amounts to: billed, rejected, paid and outstanding, in cents."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from bordereau.ledger.schema import allocations, billed_lines, bordereaux


def amounts(connection) -> pd.DataFrame:
    """One row per bordereau: cpam, centre, created, deposited_on, total, rejected, paid (cents)."""
    rejected = (sa.select(billed_lines.c.bordereau,
                          sa.func.sum(sa.func.coalesce(billed_lines.c.rejected_amount, billed_lines.c.total))
                          .label("rejected"))
                .where(billed_lines.c.state == "rejected").group_by(billed_lines.c.bordereau).subquery())
    paid = (sa.select(allocations.c.bordereau, sa.func.sum(allocations.c.amount).label("paid"))
            .group_by(allocations.c.bordereau).subquery())
    query = (sa.select(bordereaux.c.number, bordereaux.c.cpam, bordereaux.c.centre, bordereaux.c.created,
                       bordereaux.c.period_start, bordereaux.c.period_end, bordereaux.c.deposited_on,
                       bordereaux.c.lines, bordereaux.c.total,
                       sa.func.coalesce(rejected.c.rejected, 0).label("rejected"),
                       sa.func.coalesce(paid.c.paid, 0).label("paid"))
             .outerjoin(rejected, rejected.c.bordereau == bordereaux.c.number)
             .outerjoin(paid, paid.c.bordereau == bordereaux.c.number)
             .order_by(bordereaux.c.created, bordereaux.c.number))
    frame = pd.DataFrame(connection.execute(query).mappings().all(),
                         columns=["number", "cpam", "centre", "created", "period_start", "period_end", "deposited_on",
                                  "lines", "total", "rejected", "paid"])
    for column in ("total", "rejected", "paid"):
        frame[column] = frame[column].astype("int64")
    frame["outstanding"] = frame["total"] - frame["rejected"] - frame["paid"]
    return frame


def outstanding_by_bordereau(connection) -> dict[str, tuple[str, int, dt.datetime]]:
    frame = amounts(connection)
    return {r.number: (r.cpam, int(r.outstanding), r.created) for r in frame.itertuples()}
