"""Moments in time as the services return them: always with their zone.

oneplan stores times in UTC; PostgreSQL gives them back with their zone, SQLite without one.
`Moment` is a datetime that reads a zoneless time as UTC, so that every front end shows (and
the API sends, as RFC 3339) the same instant whichever database holds it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator


def in_utc(at: datetime) -> datetime:
    """``at`` with its zone; a zoneless time is taken to be UTC.

    >>> in_utc(datetime(2027, 1, 5, 9, 30)).isoformat()
    '2027-01-05T09:30:00+00:00'
    """
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


Moment = Annotated[datetime, AfterValidator(in_utc)]
