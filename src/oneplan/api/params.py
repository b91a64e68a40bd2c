"""Query parameters the read routes share: a month range and a page."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
#: The largest id or offset a database integer holds (PostgreSQL's ``integer``).
LARGEST = 2**31 - 1
Start = Annotated[str | None, Query(pattern=MONTH, description="First month, YYYY-MM.")]
End = Annotated[str | None, Query(pattern=MONTH, description="Last month, YYYY-MM.")]
Limit = Annotated[int, Query(ge=1, le=5000, description="At most this many rows.")]
Offset = Annotated[int, Query(ge=0, le=LARGEST, description="Rows skipped before the page.")]


def version_query(kind: str) -> object:
    """The ``version`` parameter of a read: a plan version's id, the newest of ``kind`` if
    none is given."""
    return Query(ge=1, le=LARGEST, description=f"Plan version id; default: the newest {kind}.")
