"""Query parameters the read routes share: a month range and a page."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
Start = Annotated[str | None, Query(pattern=MONTH, description="First month, YYYY-MM.")]
End = Annotated[str | None, Query(pattern=MONTH, description="Last month, YYYY-MM.")]
Limit = Annotated[int, Query(ge=1, le=5000, description="At most this many rows.")]
Offset = Annotated[int, Query(ge=0, description="Rows skipped before the page.")]
