"""The database layer: typed SQLAlchemy models, sessions and Alembic migrations."""
