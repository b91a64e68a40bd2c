"""Finance: one financial plan version (``?version=N``; default the newest of the open cycle,
``?grain=month|quarter|year``).

The plan in money by month, quarter or year (revenue, cost of goods, gross margin, working
capital, cash), the three-year view, the budget variance with its revenue and margin bridges
as waterfalls, and the ranked issues of the pre-S&OP meeting with a decision per issue.
"""

from __future__ import annotations

from nicegui import ui
from starlette.requests import Request
from starlette.responses import RedirectResponse

from oneplan.services.finance.overview import FinanceOverview
from oneplan.web.format import money, share
from oneplan.web.layout import attempt, frame, require_visitor
from oneplan.web.pages.issues import IssueList
from oneplan.web.pages.plan_views import (
    WHOLE,
    figure,
    period_label,
    phased_grid,
    time_phased,
    waterfall,
)

GRAINS = {"month": "Months", "quarter": "Quarters", "year": "Years"}
#: The rows of the financial plan, in the order a controller reads them.
PLAN_ROWS = {
    "revenue": "Revenue",
    "cogs": "Cost of goods",
    "gross_margin": "Gross margin",
    "margin_pct": "Gross margin %",
    "period_costs": "Period costs",
    "operating_profit": "Operating profit",
    "inventory_value": "Inventory",
    "receivables": "Receivables",
    "payables": "Payables",
    "working_capital": "Working capital",
    "operating_cash_flow": "Operating cash flow",
    "cumulative_cash_flow": "Cumulative cash flow",
}
LONG_RANGE_ROWS = {
    "revenue": "Revenue",
    "cogs": "Cost of goods",
    "gross_margin": "Gross margin",
    "margin_pct": "Gross margin %",
}
VARIANCE_ROWS = {
    "budget_revenue": "Budget revenue",
    "plan_revenue": "Plan revenue",
    "revenue_variance": "Revenue variance",
    "budget_margin": "Budget margin",
    "plan_margin": "Plan margin",
    "margin_variance": "Margin variance",
}
SHARES = {"Gross margin %": "share"}


def _headline(view: FinanceOverview) -> None:
    s, cur = view.version.summary, view.currency
    with ui.row().classes("w-full items-end gap-5"):
        choices = {v.id: f"#{v.id} {v.name} ({v.state})" for v in view.plans}
        ui.select(
            choices,
            value=view.version.id,
            label=f"Financial plan of {view.version.cycle}",
            on_change=lambda e: ui.navigate.to(f"finance?version={e.value}"),
        ).classes("w-64").props('data-testid="version"').mark("version")
        figure("Revenue", money(s.get("revenue"), cur), "revenue")
        figure("Gross margin", money(s.get("gross_margin"), cur))
        figure("Margin %", share(s.get("margin_pct")))
        figure("Working capital at end", money(s.get("working_capital_end"), cur))
        figure("Operating cash flow", money(s.get("operating_cash_flow"), cur))
        below = (s.get("revenue_vs_budget") or 0) < 0
        figure(
            f"Revenue vs budget ({s.get('budget_months', 0)} months)",
            money(s.get("revenue_vs_budget"), cur),
            tone="text-negative" if below else "text-positive",
        )
    span = f"{s.get('plan_start', '')} to {s.get('plan_end', '')}"
    ui.label(f"Plan {span}, in {cur}; values {s.get('valued_plan', 'the supply plan')}.").classes(
        "text-sm text-gray-500"
    )


class PlanByPeriod:
    """The plan in money at one grain: a chart and the time-phased grid."""

    def __init__(self, view: FinanceOverview, grain: str) -> None:
        self.view, self.grain = view, grain if grain in GRAINS else "month"

    def choose(self, grain: str) -> None:
        self.grain = grain
        self.draw.refresh()

    @ui.refreshable_method
    def draw(self) -> None:
        totals = self.view.totals
        rows = totals[totals["grain"] == self.grain].sort_values("period")
        labels = [period_label(p, self.grain) for p in rows["period"]]
        cur = self.view.currency

        def series(name: str, kind: str, colour: str, **extra: object) -> dict[str, object]:
            values = [None if v != v else round(v) for v in rows[name]]
            return {"name": PLAN_ROWS[name], "type": kind, "data": values, **extra} | {
                "itemStyle": {"color": colour}
            }

        options = {
            "grid": {"left": 90, "right": 20, "top": 40, "bottom": 30},
            "tooltip": {"trigger": "axis", ":valueFormatter": WHOLE},
            "legend": {"top": 0},
            "xAxis": {"type": "category", "data": labels},
            "yAxis": {"type": "value", "name": cur, "axisLabel": {":formatter": WHOLE}},
            "series": [
                series("revenue", "bar", "#3b82f6"),
                series("gross_margin", "bar", "#16a34a"),
                series("working_capital", "line", "#a855f7"),
                series("cumulative_cash_flow", "line", "#f59e0b"),
            ],
        }
        ui.echart(options).classes("w-full h-64").props('data-testid="plan-chart"').mark(
            "plan-chart"
        )
        present = {k: v for k, v in PLAN_ROWS.items() if k in rows}
        phased_grid(
            time_phased(rows, present, self.grain),
            name=f"financial_plan_by_{self.grain}",
            kind="money",
            by_row=SHARES,
            corner=cur,
        )


def _plan(view: FinanceOverview, grain: str) -> None:
    plan = PlanByPeriod(view, grain)
    ui.toggle(GRAINS, value=plan.grain, on_change=lambda e: plan.choose(e.value)).props(
        'dense data-testid="grain"'
    ).mark("grain")
    plan.draw()


def _three_years(view: FinanceOverview) -> None:
    long = view.three_years
    if long.empty:
        ui.label("This financial plan has no long-range view.").classes("text-gray-500")
        return
    ui.label(
        "Three years by year and by quarter. Months beyond the plan's horizon are extended "
        "from its trend: a period marked * holds some of them."
    ).classes("text-sm text-gray-600")
    for grain, name in (("year", "three_years_by_year"), ("quarter", "three_years_by_quarter")):
        rows = long[long["grain"] == grain].sort_values("period")
        table = time_phased(rows, LONG_RANGE_ROWS, grain)
        marks = [
            f"{period_label(p, grain)}*" if basis == "trend" else period_label(p, grain)
            for p, basis in zip(rows["period"], rows["basis"], strict=True)
        ]
        table.columns = ["measure", *marks]
        phased_grid(table, name=name, kind="money", by_row=SHARES, corner=view.currency)


def _budget(view: FinanceOverview) -> None:
    s, cur = view.version.summary, view.currency
    months = s.get("budget_months", 0)
    ui.label(
        f"Plan against budget over the {months} months the budget covers: revenue "
        f"{money(s.get('revenue_vs_budget'), cur)}, margin {money(s.get('margin_vs_budget'), cur)}."
    ).classes("text-sm text-gray-600")
    with ui.row().classes("w-full gap-4 no-wrap"):
        with ui.card().classes("flex-1 min-w-0"):
            ui.label("Revenue bridge, budget to plan").classes("font-semibold")
            waterfall(view.revenue_bridge, currency=cur, testid="revenue-bridge")
        with ui.card().classes("flex-1 min-w-0"):
            ui.label("Gross margin bridge, budget to plan").classes("font-semibold")
            waterfall(view.margin_bridge, currency=cur, testid="margin-bridge")
    if len(view.variance):
        present = {k: v for k, v in VARIANCE_ROWS.items() if k in view.variance}
        phased_grid(
            time_phased(view.variance, present),
            name="budget_variance",
            kind="money",
            corner=cur,
        )


async def finance_page(
    request: Request, version: int | None = None, grain: str = "month"
) -> RedirectResponse | None:
    from oneplan.services.finance.overview import finance_overview

    visitor = require_visitor(request)
    if isinstance(visitor, RedirectResponse):
        return visitor
    with frame(visitor, request, "Financial plan", "/finance"):
        view = await attempt(lambda: visitor.call(finance_overview, version))
        if view is None:
            ui.label("No financial plan to show: run the finance step first.").classes(
                "text-gray-600"
            )
            return None
        _headline(view)
        with ui.tabs().classes("w-full") as tabs:
            plan_tab = ui.tab("Plan")
            long_tab = ui.tab("Three years")
            budget_tab = ui.tab("Budget and bridges")
            issues_tab = ui.tab("Issues to decide")
        with ui.tab_panels(tabs, value=plan_tab).classes("w-full"):
            with ui.tab_panel(plan_tab).classes("p-0 gap-2"):
                _plan(view, grain)
            with ui.tab_panel(long_tab).classes("p-0 gap-2"):
                _three_years(view)
            with ui.tab_panel(budget_tab).classes("p-0 gap-2"):
                _budget(view)
            with ui.tab_panel(issues_tab).classes("p-0 gap-2"):
                issues = IssueList(visitor, view.version.id)
                await issues.load()
                issues.draw()
    return None


PAGES = [("/finance", finance_page)]
