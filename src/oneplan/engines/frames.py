"""Frame helpers every engine shares."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

_MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-01)?$")


def parse_month(text: Any) -> pd.Timestamp | None:
    """``2027-03`` or ``2027-03-01`` as the month's first day; anything else None.

    >>> parse_month("2027-03"), parse_month("2027-03-15")
    (Timestamp('2027-03-01 00:00:00'), None)
    """
    match = _MONTH.match(str(text).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        return None
    return pd.Timestamp(int(match.group(1)), int(match.group(2)), 1)
