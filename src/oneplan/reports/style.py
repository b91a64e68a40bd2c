"""What every page of the pack shares: colours, the chart canvas and how a figure is written.

One decimal on millions and thousands everywhere (charts, HTML, PDF): "22.0 M" and "22.9 M"
must not both read "22M".
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure

PLAN_COLOUR = "#1f5f99"
BUDGET_COLOUR = "#b0b7c0"
LAST_YEAR_COLOUR = "#d9dde2"
UP_COLOUR = "#2e8b57"
DOWN_COLOUR = "#c0392b"
DPI = 110
#: Utilisation: pale where there is slack, amber from about 85 %, red when full. A nearly idle
#: month must not look like the strongest colour on the page.
LOAD_COLOURS = LinearSegmentedColormap.from_list(
    "load",
    [(0.0, "#f4f8f4"), (0.6, "#cfe8cf"), (0.78, "#fff1a8"), (0.9, "#f6a04d"), (1.0, "#c0392b")],
)
LOAD_TOP = 1.0  # full is the deepest red; overtime above it keeps that colour


def figure(width: float = 8.0, height: float = 4.0) -> Figure:
    """An Agg figure: no pyplot, no global state, drawable in any thread."""
    drawing = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(drawing)
    return drawing


def png(drawing: Figure) -> bytes:
    buffer = io.BytesIO()
    drawing.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def short(value: float) -> str:
    """A money or unit figure with one decimal on thousands and millions.

    >>> [short(v) for v in (22_040_000.0, 22_940_000.0, -350_400.0, 42.0, 1_500_000_000.0)]
    ['22.0 M', '22.9 M', '-350.4 k', '42', '1.5 B']
    """
    if not np.isfinite(value):
        return "-"
    size = abs(value)
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= scale * 0.9995:  # 999,960 reads 1.0 M, not 1000.0 k
            return f"{value / scale:.1f} {suffix}"
    return f"{value:,.0f}"


def tick(value: float) -> str:
    """An axis label: like `short`, without a decimal that says nothing.

    >>> tick(200_000.0), tick(2_500_000.0), tick(0.0)
    ('200 k', '2.5 M', '0')
    """
    return short(value).replace(".0 ", " ")


def signed_short(value: float) -> str:
    """A change with its sign: ``+1.2 M``, ``-15.7 k``, ``+0``.

    >>> signed_short(1_234_000.0), signed_short(-15_669.0)
    ('+1.2 M', '-15.7 k')
    """
    text = short(value)
    return text if text.startswith("-") else f"+{text}"


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return not np.isfinite(float(value))
    except (TypeError, ValueError):
        return False
