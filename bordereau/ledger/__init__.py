"""The ledger: what was billed, deposited, paid and rejected, so that no dose is ever billed twice.

One code path for SQLite (default, a file in the user's data folder) and PostgreSQL (`--db postgresql://...`), through
SQLAlchemy Core. Money is kept as integer cents. A beneficiary is known only by a keyed hash (HMAC-SHA256 with a key
kept outside the database), never by a clear NIR.
"""

from bordereau.ledger.db import Ledger, open_ledger

__all__ = ["Ledger", "open_ledger"]
