"""Numbers as planners read them: thousands separators, the currency, one decimal for shares.

>>> units(12345.6), money(-1234567.8, "EUR"), share(0.9731), units(None)
('12,346', 'EUR -1,234,568', '97.3 %', '')
>>> sentence("pre-S&OP review")
'Pre-S&OP review'
"""

from __future__ import annotations

import math
from datetime import date, datetime


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def units(value: float | None) -> str:
    return "" if _missing(value) else f"{value:,.0f}"


def money(value: float | None, currency: str = "") -> str:
    if _missing(value):
        return ""
    return f"{currency} {value:,.0f}".strip()


def share(value: float | None) -> str:
    return "" if _missing(value) else f"{100 * float(value or 0):.1f} %"


def when(value: datetime | date | None) -> str:
    """A moment to the minute (a date alone as the date)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def sentence(text: str) -> str:
    """``text`` with a capital first letter, the rest as it is."""
    return text[:1].upper() + text[1:]
