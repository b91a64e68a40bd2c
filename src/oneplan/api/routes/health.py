"""Is the server up (``/health``), and can it serve (``/ready``: the database answers and its
schema is the one this oneplan needs)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from oneplan.api.deps import EngineDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    revision: str


@router.get("/health")
def health() -> Health:
    """The server process answers (for a liveness probe: nothing else is checked)."""
    return Health(status="ok")


@router.get("/ready", responses={503: {"description": "The database is not ready"}})
def ready(engine: EngineDep) -> Readiness:
    """The database answers and its schema is at the revision this oneplan needs."""
    import sqlalchemy as sa

    from oneplan.db import migrate

    try:
        current = migrate.current_revision(engine)
    except sa.exc.SQLAlchemyError as error:
        detail = f"the database does not answer: {type(error).__name__}"
        raise HTTPException(503, detail) from error
    needed = migrate.head_revision()
    if current != needed:
        raise HTTPException(
            503,
            f"the database schema is at revision {current}, this oneplan needs {needed}: "
            "run `oneplan db upgrade`",
        )
    return Readiness(status="ready", revision=current)
