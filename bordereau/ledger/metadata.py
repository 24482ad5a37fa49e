"""The one SQLAlchemy MetaData every table of the ledger is declared on (schema.py, service_tables.py)."""

import sqlalchemy as sa

metadata = sa.MetaData()
