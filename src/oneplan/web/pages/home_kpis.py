"""The headline KPIs of the closed cycles on the home page: the latest value of each with its
trend over the cycles (a small line), measured after the page is shown (it reads every closed
cycle's plans and the actuals since, about a second on the demo company)."""

from __future__ import annotations

from nicegui import ui

from oneplan.errors import PermissionDenied
from oneplan.services.cycle.schemas import CycleKpi, CycleKpis
from oneplan.web.format import money, share
from oneplan.web.visitor import Visitor

#: (kpi, layer, lag) -> the title a person reads, and whether up is good.
HEADLINE: dict[tuple[str, str, int | None], tuple[str, bool]] = {
    ("forecast_wape", "consensus", 1): ("Forecast error (WAPE, consensus, lag 1)", False),
    ("on_time_delivery", "", None): ("On-time delivery", True),
    ("capacity_utilisation", "", None): ("Capacity utilisation", True),
    ("gross_margin_vs_budget", "", None): ("Gross margin against budget", True),
    ("sop_cycle_time", "", None): ("S&OP cycle time (days)", False),
}


def shown(kpi: CycleKpi, currency: str) -> str:
    """A KPI's value in its unit.

    >>> shown(CycleKpi(cycle="2026-07", kpi="x", layer="", lag=None, value=0.25, unit="share",
    ...                basis="actual", note=""), "EUR")
    '25.0 %'
    """
    if kpi.value is None:
        return "n/a"
    if kpi.unit == "share":
        return share(kpi.value)
    if kpi.unit == currency:
        return money(kpi.value, currency)
    return f"{kpi.value:,.1f}"


def headline(found: CycleKpis) -> list[tuple[str, bool, list[CycleKpi]]]:
    """Each headline KPI with its figures over the cycles, oldest first."""
    rows = []
    for key, (title, up_is_good) in HEADLINE.items():
        series = [k for k in found.kpis if (k.kpi, k.layer, k.lag) == key]
        if series:
            rows.append((title, up_is_good, series))
    return rows


class KpiCard:
    """The card, first saying it measures, then the KPIs (or nothing for a scoped grant)."""

    def __init__(self, visitor: Visitor) -> None:
        self.visitor = visitor
        self.found: CycleKpis | None = None
        self.refused = False

    async def measure(self) -> None:
        from oneplan.services.cycle.kpis import cycle_kpis

        try:
            self.found = await self.visitor.call(cycle_kpis)
        except PermissionDenied:  # the company's figures: not for a grant limited in scope
            self.refused = True
        self.draw.refresh()

    def build(self) -> None:
        self.draw()
        ui.timer(0.05, self.measure, once=True)

    @ui.refreshable_method
    def draw(self) -> None:
        if self.refused:
            return
        with ui.card().classes("w-full").mark("kpis").props('data-testid="kpis"'):
            ui.label("KPIs cycle over cycle").classes("text-lg font-semibold")
            found = self.found
            if found is None:
                ui.label("Measuring the past cycles against the actuals...").classes(
                    "text-gray-500"
                )
                return
            if not found.cycles:
                ui.label("No cycle is closed yet: the KPIs follow the first release.").classes(
                    "text-gray-500"
                )
                return
            ui.label(
                f"Closed cycles {found.cycles[0]} to {found.cycles[-1]}, measured against the "
                f"actuals through {found.sales_through}."
            ).classes("text-sm text-gray-600")
            with ui.row().classes("w-full gap-4"):
                for title, up_is_good, series in headline(found):
                    self.tile(title, up_is_good, series, found.currency)

    @staticmethod
    def tile(title: str, up_is_good: bool, series: list[CycleKpi], currency: str) -> None:
        last = series[-1]
        values = [k.value for k in series]
        better = None
        if len(values) > 1 and values[-1] is not None and values[-2] is not None:
            better = (values[-1] >= values[-2]) == up_is_good
        colour = "#15803d" if better else "#b91c1c" if better is False else "#475569"
        with ui.column().classes("gap-0 w-56"):
            ui.label(title).classes("text-xs text-gray-600")
            ui.label(f"{shown(last, currency)} ({last.cycle})").classes("text-lg font-semibold")
            ui.echart(
                {
                    "grid": {"left": 2, "right": 2, "top": 4, "bottom": 2},
                    "xAxis": {"type": "category", "show": False, "data": [k.cycle for k in series]},
                    "yAxis": {"type": "value", "show": False, "scale": True},
                    "tooltip": {"trigger": "axis"},
                    "series": [
                        {
                            "type": "line",
                            "data": values,
                            "symbolSize": 5,
                            "lineStyle": {"color": colour},
                            "itemStyle": {"color": colour},
                        }
                    ],
                }
            ).classes("w-full").style("height: 48px")
