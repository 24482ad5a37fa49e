"""Which centres deposited their bordereaux in a span of days, and which did not (`GET /api/depots`, the Département's
page). Every centre of centres.yaml is listed; one that has sent nothing in the last SILENT_AFTER days is named."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from bordereau.errors import BordereauError
from bordereau.ledger.service_tables import uploads

SILENT_AFTER = 7  # days without any upload
MAX_SPAN = 366  # days in one request


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """Monday to Sunday of the week of `day`.

    >>> week_of(dt.date(2026, 11, 25))
    (datetime.date(2026, 11, 23), datetime.date(2026, 11, 29))
    """
    start = day - dt.timedelta(days=day.weekday())
    return start, start + dt.timedelta(days=6)


def deposits(ledger, reference, start: dt.date, end: dt.date, today: dt.date) -> dict:
    """Per centre: its deposits whose deposit day falls in [start, end] (a deposit later replaced is not counted),
    whether it deposited, its last upload, and whether it has been silent for SILENT_AFTER days."""
    if end < start:
        raise BordereauError(f"période vide : le {end:%d/%m/%Y} précède le {start:%d/%m/%Y}")
    if (end - start).days >= MAX_SPAN:
        raise BordereauError(f"période trop longue : {MAX_SPAN} jours au plus")
    c = uploads.c
    first, after = dt.datetime.combine(start, dt.time()), dt.datetime.combine(end + dt.timedelta(days=1), dt.time())
    with ledger.engine.connect() as connection:
        done = connection.execute(
            sa.select(c.id, c.finess_geographique, c.file_name, c.period_start, c.period_end, c.lines, c.deposited_at,
                      c.deposited_by, c.state)
            .where(c.deposited_at >= first, c.deposited_at < after, c.state != "remplacé")
            .order_by(c.deposited_at, c.id)).all()
        last = dict(connection.execute(sa.select(c.finess_geographique, sa.func.max(c.uploaded_at))
                                       .group_by(c.finess_geographique)).all())
    by_centre: dict[str, list[dict]] = {}
    for r in done:
        by_centre.setdefault(r.finess_geographique, []).append({
            "id": r.id, "file_name": r.file_name, "lines": r.lines, "state": r.state,
            "period": {"du": _day(r.period_start), "au": _day(r.period_end)},
            "deposited_at": r.deposited_at.isoformat(timespec="seconds"), "deposited_by": r.deposited_by})
    quiet_since = today - dt.timedelta(days=SILENT_AFTER)
    centres = []
    for centre in sorted(reference.centres, key=lambda x: (x.cpam, x.nom)):
        finess = centre.finess_geographique
        latest = last.get(finess)
        centres.append({"finess_geographique": finess, "centre": centre.nom, "cpam": centre.cpam,
                        "deposits": by_centre.get(finess, []), "deposited": finess in by_centre,
                        "last_upload": latest.isoformat(timespec="seconds") if latest else None,
                        "silent": latest is None or latest.date() <= quiet_since})
    return {"du": start.isoformat(), "au": end.isoformat(), "today": today.isoformat(), "centres": centres,
            "missing": [x["centre"] for x in centres if not x["deposited"]],
            "silent": [x["centre"] for x in centres if x["silent"]]}


def _day(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None
