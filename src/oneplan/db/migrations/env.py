"""Alembic environment: runs on the connection oneplan hands it (see `oneplan.db.migrate`)."""

from __future__ import annotations

from alembic import context

import oneplan.db.models  # noqa: F401  (registers every table on Base.metadata)
from oneplan.db.base import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
