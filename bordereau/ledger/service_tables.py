"""Tables of the service (`bordereau serve`), created by migration 7 of the ledger (schema.py).

Sessions and login counters live here, not in a process's memory, so that several workers or instances share them.
A session is stored under the SHA-256 of its cookie value, never the value itself. The audit log never holds a NIR.
"""

from __future__ import annotations

import sqlalchemy as sa

from bordereau.ledger.metadata import metadata

users = sa.Table(
    "users", metadata,
    sa.Column("login", sa.String(60), primary_key=True),
    sa.Column("password_hash", sa.Text, nullable=False),  # Argon2id, PHC string
    sa.Column("role", sa.String(20), nullable=False),  # centre, departement, cpam
    sa.Column("centres", sa.Text, nullable=False, default=""),  # FINESS géographiques, comma-separated
    sa.Column("cpam", sa.String(3)),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created", sa.DateTime, nullable=False),
    sa.Column("password_changed", sa.DateTime, nullable=False),
)

sessions = sa.Table(
    "sessions", metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("login", sa.String(60), sa.ForeignKey("users.login", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created", sa.DateTime, nullable=False),
    sa.Column("last_seen", sa.DateTime, nullable=False),
)

login_attempts = sa.Table(
    "login_attempts", metadata,
    sa.Column("login", sa.String(60), primary_key=True),  # as typed: unknown logins are counted too
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_failure", sa.DateTime, nullable=False),
    sa.Column("locked_until", sa.DateTime),
)

stored_files = sa.Table(
    "stored_files", metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("stored_at", sa.DateTime, nullable=False),
)

uploads = sa.Table(
    "uploads", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("file_name", sa.Text, nullable=False),  # shown to people, never used as a path
    sa.Column("finess_geographique", sa.String(9), nullable=False, index=True),
    sa.Column("centre", sa.Text, nullable=False),
    sa.Column("cpam", sa.String(3)),
    sa.Column("period_start", sa.Date),
    sa.Column("period_end", sa.Date),
    sa.Column("uploaded_at", sa.DateTime, nullable=False),
    sa.Column("uploaded_by", sa.String(60), nullable=False),
    sa.Column("lines", sa.Integer, nullable=False),
    sa.Column("errors", sa.Integer, nullable=False),
    sa.Column("warnings", sa.Integer, nullable=False),
    sa.Column("state", sa.String(20), nullable=False),  # contrôlé, déposé, remplacé
    sa.Column("deposited_at", sa.DateTime),
    sa.Column("deposited_by", sa.String(60)),
    sa.Column("replaced_by", sa.Integer),
    # personal data, removed by `purge`: the answer (`check --json`'s file and findings) and the pupils' masked names
    sa.Column("answer", sa.Text),
    sa.Column("pupils", sa.Text),
    sa.Column("purged_at", sa.DateTime),
)

audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False, index=True),
    sa.Column("login", sa.String(60)),
    sa.Column("action", sa.String(20), nullable=False),  # login, login_failed, logout, upload, deposit, purge...
    sa.Column("detail", sa.Text, nullable=False, default=""),  # NIRs masked before writing
)

# migration 11: a CPAM agent's audit through the service (its history of lines is the CLI's: audits, audited_*)
service_audits = sa.Table(
    "service_audits", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("audit_id", sa.Integer, sa.ForeignKey("audits.id", ondelete="SET NULL")),  # the ledger's history
    sa.Column("cpam", sa.String(3), nullable=False, index=True),  # the agent's caisse: who may see it
    sa.Column("login", sa.String(60), nullable=False),
    sa.Column("created", sa.DateTime, nullable=False),
    sa.Column("audited_on", sa.Date, nullable=False),
    sa.Column("export_id", sa.Integer),  # the export audited, or None (files sent)
    sa.Column("files", sa.Text, nullable=False),  # JSON list of the names audited (never used as paths)
    sa.Column("summary", sa.Text, nullable=False),  # JSON: `audit --json`'s total and numbers, no personal data
    # personal data, removed by `purge`: the answer (`audit --json`), the report and the rejection statement
    sa.Column("answer", sa.Text),
    sa.Column("report", sa.Text),
    sa.Column("statement_xlsx", sa.LargeBinary),
    sa.Column("statement_pdf", sa.LargeBinary),
    sa.Column("purged_at", sa.DateTime),
)

SERVICE_TABLES = [users, sessions, login_attempts, stored_files, uploads, audit_log]


def insert_ignoring_duplicates(connection: sa.Connection, table: sa.Table, **values):
    """INSERT ... ON CONFLICT DO NOTHING (SQLite and PostgreSQL): two requests storing the same row at once."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return connection.execute(insert(table).values(**values).on_conflict_do_nothing())
