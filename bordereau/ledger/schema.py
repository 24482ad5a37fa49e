"""Tables of the ledger and their versioned migrations.

Each migration is a function applied once, in order, in its own transaction; `schema_version` records which ones
ran. A new version is a new function appended to MIGRATIONS, never an edit of an old one.
"""

from __future__ import annotations

import sqlalchemy as sa

from bordereau import clock
from bordereau.ledger.metadata import metadata
from bordereau.ledger.service_tables import SERVICE_TABLES

schema_version = sa.Table(
    "schema_version", metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("applied_at", sa.DateTime, nullable=False),
)

exports = sa.Table(
    "exports", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created", sa.DateTime, nullable=False),
    sa.Column("out_dir", sa.Text, nullable=False),
    sa.Column("temp_dir", sa.Text),
    sa.Column("state", sa.String(10), nullable=False),  # pending, done
    sa.Column("host", sa.Text),
    sa.Column("pid", sa.Integer),
    sa.Column("made_on", sa.Date),  # the export's date (the tool's clock); `created` is the real start time
)

counters = sa.Table(
    "counters", metadata,
    sa.Column("cpam", sa.String(3), primary_key=True),
    sa.Column("finess", sa.String(9), primary_key=True),
    sa.Column("day", sa.String(8), primary_key=True),
    sa.Column("last", sa.Integer, nullable=False),
)

bordereaux = sa.Table(
    "bordereaux", metadata,
    sa.Column("number", sa.String(40), primary_key=True),
    sa.Column("export_id", sa.Integer, sa.ForeignKey("exports.id", ondelete="CASCADE"), nullable=False),
    sa.Column("cpam", sa.String(3), nullable=False),
    sa.Column("finess_geographique", sa.String(9), nullable=False),
    sa.Column("centre", sa.Text, nullable=False),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),
    sa.Column("created", sa.DateTime, nullable=False),
    sa.Column("lines", sa.Integer, nullable=False),
    sa.Column("prix", sa.BigInteger, nullable=False),
    sa.Column("amo", sa.BigInteger, nullable=False),
    sa.Column("complementaire", sa.BigInteger, nullable=False),
    sa.Column("total", sa.BigInteger, nullable=False),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64)),
    sa.Column("deposited_on", sa.Date),
    sa.Column("refers_to", sa.Text),  # bordereaux whose rejected lines this one bills again
)
sa.Index("ix_bordereaux_cpam", bordereaux.c.cpam)

billed_lines = sa.Table(
    "billed_lines", metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("bordereau", sa.String(40), sa.ForeignKey("bordereaux.number", ondelete="CASCADE"), nullable=False),
    sa.Column("line_no", sa.Integer, nullable=False),
    sa.Column("dose_key", sa.String(64), nullable=False),  # keyed hash: beneficiary + vaccine + date
    sa.Column("beneficiary_key", sa.String(64), nullable=False),  # keyed hash: NIR + birth date, or names + birth
    sa.Column("vaccine_code", sa.String(13), nullable=False),
    sa.Column("classe", sa.String(20), nullable=False),
    sa.Column("administered_on", sa.Date, nullable=False),
    sa.Column("coverage", sa.String(20), nullable=False),
    sa.Column("regime", sa.String(2)),
    sa.Column("prix", sa.BigInteger, nullable=False),
    sa.Column("amo", sa.BigInteger, nullable=False),
    sa.Column("complementaire", sa.BigInteger, nullable=False),
    sa.Column("total", sa.BigInteger, nullable=False),
    sa.Column("state", sa.String(10), nullable=False),  # billed, rejected
    sa.Column("rejected_code", sa.Text),
    sa.Column("rejected_reason", sa.Text),
    sa.Column("rejected_amount", sa.BigInteger),
    sa.Column("rejected_on", sa.Date),
    sa.Column("rebills", sa.String(40)),  # the bordereau where this dose was billed and rejected before
    # personal data, removed by `purge`
    sa.Column("nom", sa.Text),
    sa.Column("prenom", sa.Text),
    sa.Column("birth_date", sa.Date),
    sa.Column("nir_masked", sa.String(24)),
    sa.Column("purged_at", sa.DateTime),
    sa.UniqueConstraint("bordereau", "line_no", name="uq_line_position"),
)
sa.Index("ix_lines_beneficiary", billed_lines.c.beneficiary_key)
# the guarantee: a dose is billed at most once (a rejected line may be billed again)
sa.Index("uq_dose_billed_once", billed_lines.c.dose_key, unique=True,
         sqlite_where=billed_lines.c.state == "billed", postgresql_where=billed_lines.c.state == "billed")

payments = sa.Table(
    "payments", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("paid_on", sa.Date, nullable=False),
    sa.Column("payer", sa.Text, nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False, unique=True),
    sa.Column("cpam", sa.String(3)),
    sa.Column("imported_at", sa.DateTime, nullable=False),
    sa.Column("account", sa.Text),  # the account reference the fingerprint was made with (v6)
    sa.Column("ignored_at", sa.DateTime),  # set by `reconcile --ignorer`: not a CPAM payment (v6)
)

allocations = sa.Table(
    "allocations", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("payment_id", sa.Integer, sa.ForeignKey("payments.id", ondelete="CASCADE"), nullable=False),
    sa.Column("bordereau", sa.String(40), sa.ForeignKey("bordereaux.number"), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("rule", sa.String(20), nullable=False),  # label, amount, sum, manual
)

payment_actions = sa.Table(
    "payment_actions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("payment_id", sa.Integer, sa.ForeignKey("payments.id", ondelete="CASCADE"), nullable=False),
    sa.Column("action", sa.String(10), nullable=False),  # ignorer, affecter
    sa.Column("bordereau", sa.String(40)),
    sa.Column("amount", sa.BigInteger),
    sa.Column("done_at", sa.DateTime, nullable=False),
    sa.Column("done_by", sa.Text, nullable=False),
)

rejections = sa.Table(
    "rejections", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("bordereau", sa.String(40), nullable=False),
    sa.Column("line_no", sa.Integer, nullable=False),
    sa.Column("code", sa.Text),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("imported_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("bordereau", "line_no", name="uq_rejection_line"),
)


fir_lines = sa.Table(
    "fir_lines", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("export_id", sa.Integer, sa.ForeignKey("exports.id", ondelete="CASCADE"), nullable=False),
    sa.Column("dose_key", sa.String(64), nullable=False, unique=True),
    sa.Column("beneficiary_key", sa.String(64), nullable=False),
    sa.Column("finess_geographique", sa.String(9), nullable=False),
    sa.Column("vaccine_code", sa.String(13), nullable=False),
    sa.Column("classe", sa.String(20), nullable=False),
    sa.Column("administered_on", sa.Date, nullable=False),
    sa.Column("prix", sa.BigInteger, nullable=False),
    sa.Column("fir", sa.BigInteger, nullable=False),
)


audits = sa.Table(
    "audits", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("audited_on", sa.Date, nullable=False),
    sa.Column("cpam", sa.String(3)),
    sa.Column("created", sa.DateTime, nullable=False),
)

audited_bordereaux = sa.Table(
    "audited_bordereaux", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("audit_id", sa.Integer, sa.ForeignKey("audits.id", ondelete="CASCADE"), nullable=False),
    sa.Column("number", sa.String(60), nullable=False, index=True),
    sa.Column("sha256", sa.String(64)),
)

audited_lines = sa.Table(
    "audited_lines", metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("audit_id", sa.Integer, sa.ForeignKey("audits.id", ondelete="CASCADE"), nullable=False),
    sa.Column("bordereau", sa.String(40)),
    sa.Column("line_no", sa.Integer),
    sa.Column("beneficiary_key", sa.String(64), nullable=False, index=True),
    sa.Column("vaccine_code", sa.String(13), nullable=False),
    sa.Column("classe", sa.String(20)),
    sa.Column("administered_on", sa.Date, nullable=False),
    sa.Column("verdict", sa.String(30), nullable=False),
    sa.Column("accepted", sa.BigInteger, nullable=False),
)


ledger_meta = sa.Table(
    "ledger_meta", metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)


def _v1(connection: sa.Connection) -> None:
    metadata.create_all(connection, tables=[exports, counters, bordereaux, billed_lines, payments, allocations,
                                            rejections])


def _v2(connection: sa.Connection) -> None:
    """Look doses up by key whatever their state (the partial unique index serves billed ones only)."""
    connection.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_lines_dose ON billed_lines (dose_key)")


def _v3(connection: sa.Connection) -> None:
    """Lines without rights: never sent to a CPAM, but put on the FIR statement once only."""
    fir_lines.create(connection, checkfirst=True)
    connection.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_fir_beneficiary ON fir_lines (beneficiary_key)")


def _v4(connection: sa.Connection) -> None:
    """The CPAM's side: what earlier audits accepted, to find a dose billed twice across bordereaux and centres."""
    metadata.create_all(connection, tables=[audits, audited_bordereaux, audited_lines])


def _v5(connection: sa.Connection) -> None:
    """Which key the ledger's hashes were made with (a fingerprint, never the key)."""
    ledger_meta.create(connection, checkfirst=True)


def _v6(connection: sa.Connection) -> None:
    """Payments: known again by date, amount and account reference (not by their label); a payment set aside or
    allocated by hand, and who did it."""
    from bordereau.ledger.bank import fingerprint

    have = {c["name"] for c in sa.inspect(connection).get_columns("payments")}
    for name, kind in (("account", "TEXT"), ("ignored_at", "TIMESTAMP")):
        if name not in have:
            connection.exec_driver_sql(f"ALTER TABLE payments ADD COLUMN {name} {kind}")
    payment_actions.create(connection, checkfirst=True)
    rows = connection.execute(sa.select(payments.c.id, payments.c.paid_on, payments.c.amount, payments.c.payer)
                              .order_by(payments.c.id)).all()
    new: dict[int, str] = {}
    taken: set[str] = set()
    for row in rows:  # the payer stands for the account, unknown before
        rank = 1
        while fingerprint(row.paid_on, row.amount, row.payer, rank) in taken:
            rank += 1
        new[row.id] = fingerprint(row.paid_on, row.amount, row.payer, rank)
        taken.add(new[row.id])
    for step in ("temporary", "final"):  # two passes: the unique index never sees two equal fingerprints
        for row in rows:
            value = f"v6-{row.id}" if step == "temporary" else new[row.id]
            connection.execute(payments.update().where(payments.c.id == row.id)
                               .values(fingerprint=value, account=row.payer))


def _v7(connection: sa.Connection) -> None:
    """The service (`bordereau serve`): accounts, sessions, login throttling, uploaded files and the audit log."""
    metadata.create_all(connection, tables=SERVICE_TABLES)


def _v8(connection: sa.Connection) -> None:
    """The export's date as the tool's clock gives it (`--today`), apart from the real time it started."""
    if "made_on" not in {c["name"] for c in sa.inspect(connection).get_columns("exports")}:  # v1 made it already
        connection.exec_driver_sql("ALTER TABLE exports ADD COLUMN made_on DATE")


def _v9(connection: sa.Connection) -> None:
    """The service's exports (the Département's pages): which uploads went into which export and bordereau, the
    zipped folder, when it was sent."""
    from bordereau.ledger.dispatch_tables import DISPATCH_TABLES

    metadata.create_all(connection, tables=DISPATCH_TABLES)


def _v10(connection: sa.Connection) -> None:
    """The CPAM agents' audits through the service: who audited what, its answer and its files."""
    from bordereau.ledger.service_tables import service_audits

    service_audits.create(connection, checkfirst=True)


MIGRATIONS = [_v1, _v2, _v3, _v4, _v5, _v6, _v7, _v8, _v9, _v10]


MIGRATION_LOCK = 7461_2001  # PostgreSQL advisory lock: one process migrates at a time


def migrate(engine: sa.Engine) -> int:
    """Apply the migrations not yet applied, one process at a time; returns the schema version."""
    if engine.dialect.name != "postgresql":
        return _migrate(engine)  # SQLite: every write transaction starts with BEGIN IMMEDIATE, so they queue
    with engine.connect() as lock:
        lock.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
        try:
            return _migrate(engine)
        finally:
            lock.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")
            lock.commit()


def _migrate(engine: sa.Engine) -> int:
    with engine.begin() as connection:
        schema_version.create(connection, checkfirst=True)
    for version, step in enumerate(MIGRATIONS, start=1):
        with engine.begin() as connection:
            done = connection.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0
            if version <= done:
                continue
            step(connection)
            connection.execute(schema_version.insert().values(version=version, applied_at=clock.now()))
    return len(MIGRATIONS)
