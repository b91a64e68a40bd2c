"""What kind of number each headline figure of a plan version is, so that every front end
shows it alike: a share (0.903 is 90.3 %, and a change of it is in percentage points) or an
amount."""

from __future__ import annotations

#: Summary figures that are shares of one (service level, margin %, error rates). A figure of
#: a nested summary (``top_bottleneck.utilisation``) is known by its own name.
SHARE_FIGURES = frozenset(
    {
        "service_level",
        "margin_pct",
        "mean_wape",
        "wape",
        "mape",
        "smape",
        "bias",
        "utilisation",
        "on_time_share",
    }
)
SHARE_SUFFIXES = ("_pct", "_share", "%")
#: The KPI labels of a plan comparison (`plan_kpis`) that are shares.
SHARE_LABELS = ("utilisation ", "service level")


def is_share(figure: str) -> bool:
    """True for a figure that is a share of one, shown as a percentage.

    >>> is_share("service_level"), is_share("top_bottleneck.utilisation"), is_share("total_cost")
    (True, True, False)
    >>> is_share("margin %"), is_share("utilisation INJ-N1"), is_share("unmet units")
    (True, True, False)
    """
    name = figure.rsplit(".", 1)[-1]
    return name in SHARE_FIGURES or name.endswith(SHARE_SUFFIXES) or name.startswith(SHARE_LABELS)
