"""Tables of the service's exports (ledger.dispatch), created by migration 10 of the ledger (schema.py)."""

from __future__ import annotations

import sqlalchemy as sa

from bordereau.ledger.metadata import metadata

service_exports = sa.Table(
    "service_exports", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("export_id", sa.Integer, nullable=False, unique=True),  # the ledger's exports.id
    sa.Column("cpam", sa.String(3), nullable=False, index=True),
    sa.Column("created", sa.DateTime, nullable=False),
    sa.Column("created_by", sa.String(60), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),  # the zip, in stored_files
    sa.Column("folder", sa.Text, nullable=False),  # the CPAM's folder in the zip (595-Lille/)
    sa.Column("manifest", sa.Text, nullable=False),  # that folder's manifest.json
    sa.Column("numbers", sa.Text, nullable=False),  # JSON list of the bordereau numbers
    sa.Column("lines", sa.Integer, nullable=False),
    sa.Column("total", sa.String(20), nullable=False),  # as the manifest writes it ("123.45")
    sa.Column("sent_on", sa.Date),
    sa.Column("sent_by", sa.String(60)),
)

exported_uploads = sa.Table(
    "exported_uploads", metadata,
    sa.Column("upload_id", sa.Integer, primary_key=True),
    sa.Column("export_ref", sa.Integer, nullable=False, index=True),  # service_exports.id
    sa.Column("bordereau", sa.String(40), index=True),
)

DISPATCH_TABLES = [service_exports, exported_uploads]
