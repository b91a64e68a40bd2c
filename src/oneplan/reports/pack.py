"""The executive S&OP pack: figures and charts from the cycle's plan versions.

`build_pack` is pure (frames in, a `Pack` out); `workbook.write_xlsx`, `page.write_html` and
`pdf.write_pdf` turn a pack into files. What each page shows: docs/executive-pack.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from oneplan.engines.frames import month_starts, require_columns
from oneplan.engines.kpi import on_time_share, top_bottleneck
from oneplan.engines.kpi.trend import TREND_COLUMNS, kpi_label, trend_table
from oneplan.errors import InputError
from oneplan.reports import charts, review_charts, views
from oneplan.reports.trend_chart import trend_chart

#: The frames the pack reads from each version, with the columns it needs.
NEEDS: dict[str, dict[str, list[str]]] = {
    "demand": {"consensus": ["period", "quantity"]},
    "supply": {
        "supply_plan": ["period", "demand", "production", "backlog", "lost_sales", "end_inventory"],
        "capacity_plan": ["resource", "period", "utilisation"],
    },
    "finance": {
        "lines": ["period", "shipped_quantity", "revenue", "gross_margin"],
        "budget_variance": [
            "budget_volume",
            "plan_volume",
            "budget_revenue",
            "plan_revenue",
            "budget_margin",
            "plan_margin",
        ],
        "revenue_bridge": ["step", "value", "cumulative"],
        "margin_bridge": ["step", "value", "cumulative"],
        "working_capital": ["period", "working_capital"],
        "cash_flow": ["operating_cash_flow"],
        "issues": ["rank", "kind", "subject", "period", "periods", "units", "unit", "money"],
    },
}
#: Frames the pack shows when the version has them (older versions may not).
OPTIONAL: dict[str, list[str]] = {"demand": ["backtest"], "supply": ["cost_breakdown"]}
#: Tables the pack reads for names, families and last year's sales.
TABLES = ["items", "families", "resources", "sales_history"]
#: How many issues the HTML and PDF list by name; the workbook keeps them all.
ISSUES_SHOWN = 20
ISSUE_COLUMNS = ["rank", "kind", "subject", "period", "periods", "units", "unit", "money"]
ISSUE_COLUMNS += ["decision", "cause"]
KPI_COLUMNS = ["measure", "plan", "budget", "variance", "variance_pct", "unit"]
#: Chart name -> (title, sheet the image goes on).
CHARTS = {
    "kpis": ("Plan against budget", "Summary"),
    "demand_supply": ("Demand against constrained supply", "Demand vs supply"),
    "capacity": ("Capacity utilisation", "Capacity"),
    "bridge": ("Revenue bridge", "Bridge"),
    "margin_bridge": ("Gross margin bridge", "Bridge"),
    "issues": ("Top issues", "Issues"),
    "scenarios": ("Scenarios: gross margin and service level", "Scenarios"),
    "families": ("Demand by family against budget and last year", "Families"),
    "service": ("Inventory and service", "Inventory and service"),
    "trend": ("KPIs cycle over cycle", "Trend"),
}
#: What the trend page says before any cycle is closed.
NO_TREND = (
    "No cycle is closed yet: each month's KPIs follow once its release is approved and the "
    "months after it have their actuals."
)
#: What the Scenarios page says when no scenario has been run.
NO_SCENARIOS = "No scenario has been run this cycle: the plan stands alone."


@dataclass(frozen=True)
class Pack:
    """Everything the executive pack shows, ready to write.

    company, as_of (the date the pack was made) and summary (five lines that say what the
    meeting is asked) head the first page. kpis: ``measure, plan, budget, variance,
    variance_pct, unit`` (budget NaN when there is none); monthly: ``period, consensus,
    production, shipped``; utilisation: ``resource, period, utilisation``; bridge and
    margin_bridge: ``step, value, cumulative``; issues: the ranked gap list, with ``label``
    (the subject by name); scenarios: ``kpi`` then a column for the base plan and each scenario run
    (no rows when none was run); families, service, accuracy and changes: the review pages
    (columns in `oneplan.reports.views`), changes against the plan named ``previous_name``.
    """

    cycle: str
    currency: str
    kpis: pd.DataFrame
    monthly: pd.DataFrame
    utilisation: pd.DataFrame
    bridge: pd.DataFrame
    issues: pd.DataFrame
    charts: dict[str, bytes]
    versions: dict[str, int] = field(default_factory=dict)
    margin_bridge: pd.DataFrame = field(default_factory=pd.DataFrame)
    scenarios: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"kpi": []}))
    company: str = ""
    as_of: str = ""
    summary: list[str] = field(default_factory=list)
    families: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=views.FAMILY_COLUMNS)
    )
    service: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=views.SERVICE_COLUMNS)
    )
    accuracy: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=views.ACCURACY_COLUMNS)
    )
    changes: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=views.CHANGE_COLUMNS)
    )
    previous_name: str = ""
    trend: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TREND_COLUMNS))

    @property
    def trend_rows(self) -> pd.DataFrame:
        """The trend as a table: ``KPI`` (its name with layer and lag) then a column per
        closed cycle; a value from the released plan rather than actuals is marked ``plan``
        in the column ``basis``."""
        if not len(self.trend):
            return pd.DataFrame(columns=["KPI", "unit", "basis"])
        wide = trend_table(self.trend)
        names = [
            kpi_label(k, layer, lag)
            for k, layer, lag in zip(wide["kpi"], wide["layer"], wide["lag"], strict=True)
        ]
        planned = set(self.trend.loc[self.trend["basis"] == "plan", "kpi"])
        basis = ["plan" if k in planned else "" for k in wide["kpi"]]
        unit = wide["unit"].replace({"currency": self.currency or "money"})
        cycles = [c for c in wide.columns if c not in ("kpi", "layer", "lag", "unit")]
        table = pd.DataFrame({"KPI": names, "unit": unit, "basis": basis})
        return pd.concat([table, wide[cycles].reset_index(drop=True)], axis=1)

    @property
    def title(self) -> str:
        """``Company - S&OP pack 2027-01``: what the first line of every format says."""
        return " - ".join(p for p in (self.company, f"S&OP pack {self.cycle}".strip()) if p)

    @property
    def shown_issues(self) -> pd.DataFrame:
        """The issues the HTML and PDF list by name: the first `ISSUES_SHOWN` by rank."""
        return self.issues.head(ISSUES_SHOWN)


def _frame(frames: Mapping[str, Mapping[str, pd.DataFrame]], kind: str, name: str) -> pd.DataFrame:
    version = frames.get(kind)
    if version is None or name not in version:
        raise InputError(f"has no frame {name!r}", table=f"{kind} plan")
    frame = version[name]
    require_columns(frame, NEEDS[kind][name], f"{kind} plan {name}")
    return frame


def budget_kpis(
    finance: Mapping[str, pd.DataFrame], supply_plan: pd.DataFrame, currency: str
) -> pd.DataFrame:
    """The plan's headline figures against the budget over the budget's months (``measure,
    plan, budget, variance, variance_pct, unit``), with whole-plan money and on time."""
    lines, variance = finance["lines"], finance["budget_variance"]
    total = variance[NEEDS["finance"]["budget_variance"]].astype(float).sum()
    balances = finance["working_capital"].sort_values("period")
    money = currency or "money"

    def ratio(top: float, bottom: float) -> float:
        return top / bottom if bottom else np.nan

    rows: list[tuple[str, float, float, str]] = [
        ("revenue", total["plan_revenue"], total["budget_revenue"], money),
        ("gross margin", total["plan_margin"], total["budget_margin"], money),
        (
            "margin %",
            ratio(total["plan_margin"], total["plan_revenue"]),
            ratio(total["budget_margin"], total["budget_revenue"]),
            "%",
        ),
        ("shipped units", total["plan_volume"], total["budget_volume"], "units"),
        ("revenue, whole plan", float(lines["revenue"].sum()), np.nan, money),
        ("gross margin, whole plan", float(lines["gross_margin"].sum()), np.nan, money),
        (
            "working capital at end",
            float(balances["working_capital"].iloc[-1]) if len(balances) else np.nan,
            np.nan,
            money,
        ),
        (
            "operating cash flow",
            float(finance["cash_flow"]["operating_cash_flow"].sum()),
            np.nan,
            money,
        ),
        ("on time", on_time_share(supply_plan) if len(supply_plan) else np.nan, np.nan, "%"),
    ]
    kpis = pd.DataFrame(rows, columns=["measure", "plan", "budget", "unit"])
    if not len(variance):  # no budget months: nothing to compare with
        kpis["budget"] = np.nan
    kpis["variance"] = kpis["plan"] - kpis["budget"]
    kpis["variance_pct"] = kpis["variance"] / kpis["budget"].abs().where(kpis["budget"] != 0)
    kpis.loc[kpis["unit"] == "%", "variance_pct"] = np.nan  # a change of a share is in points
    return kpis[KPI_COLUMNS]


def _scenario_kpis(scenarios: pd.DataFrame | None) -> pd.DataFrame:
    """``kpi`` then a column per plan, whether the KPI came as the index or as a column."""
    if scenarios is None or not len(scenarios):
        return pd.DataFrame({"kpi": []})
    named = "kpi" in scenarios.columns
    table = scenarios.copy() if named else scenarios.rename_axis("kpi").reset_index()
    table.columns = [str(c) for c in table.columns]
    return table.reset_index(drop=True)


def _by_month(frame: pd.DataFrame, column: str, table: str) -> pd.Series:
    months = month_starts(frame["period"], table=table)
    return frame[column].astype(float).groupby(months.to_numpy()).sum()


def demand_supply_by_month(
    consensus: pd.DataFrame, supply_plan: pd.DataFrame, lines: pd.DataFrame
) -> pd.DataFrame:
    """Per month: the demand plan's consensus, what the supply plan makes (produced and bought
    from subcontractors) and what it ships: ``period, consensus, production, shipped``."""
    made = supply_plan.assign(made=supply_plan["production"] + supply_plan.get("subcontract", 0.0))
    monthly = pd.DataFrame(
        {
            "consensus": _by_month(consensus, "quantity", "demand plan consensus"),
            "production": _by_month(made, "made", "supply plan supply_plan"),
            "shipped": _by_month(lines, "shipped_quantity", "finance plan lines"),
        }
    ).fillna(0.0)
    return monthly.rename_axis("period").sort_index().reset_index()


def _names(tables: Mapping[str, pd.DataFrame]) -> dict[str, str]:
    """Code -> name of every item, family and resource the tables describe."""
    names: dict[str, str] = {}
    for table, column in (("resources", "name"), ("families", "name"), ("items", "description")):
        frame = tables.get(table)
        if frame is not None and {"code", column} <= set(frame.columns):
            named = frame.dropna(subset=[column])
            names.update(zip(named["code"].astype(str), named[column].astype(str), strict=True))
    return names


def _families_of(tables: Mapping[str, pd.DataFrame], lines: pd.DataFrame) -> dict[str, str]:
    """Item -> family, from the items table and, for items it lacks, the plan's lines."""
    found: dict[str, str] = {}
    if {"item", "family"} <= set(lines.columns):
        found.update(zip(lines["item"].astype(str), lines["family"].astype(str), strict=True))
    items = tables.get("items")
    if items is not None and {"code", "family"} <= set(items.columns):
        found.update(zip(items["code"].astype(str), items["family"].astype(str), strict=True))
    return found


def build_pack(
    frames_by_version: Mapping[str, Mapping[str, pd.DataFrame]],
    *,
    cycle: str = "",
    currency: str = "",
    versions: Mapping[str, int] | None = None,
    scenarios: pd.DataFrame | None = None,
    company: str = "",
    as_of: str = "",
    tables: Mapping[str, pd.DataFrame] | None = None,
    previous: Mapping[str, Mapping[str, pd.DataFrame]] | None = None,
    previous_name: str = "",
    trend: pd.DataFrame | None = None,
) -> Pack:
    """The pack from the ``demand``, ``supply`` and ``finance`` versions' frames (pure).

    scenarios: the side-by-side KPIs of the base plan and each scenario run, as
    `compare_scenarios` gives them (a row per KPI indexed or headed ``kpi``, a column per plan);
    None or no rows gives a Scenarios page that says none was run. tables: `TABLES` as
    imported, for names, families and last year (each optional). previous: the ``supply`` (and
    ``finance`` when it has one) frames of the previous released or approved plan, named
    ``previous_name``. trend: the KPIs of the closed cycles
    (`oneplan.engines.kpi.trend.kpi_trend`; None: none is closed). A missing frame or column
    raises `InputError` naming it (the table is
    the plan, e.g. ``finance plan lines``).
    """
    tables = tables or {}
    finance = {name: _frame(frames_by_version, "finance", name) for name in NEEDS["finance"]}
    supply_plan = _frame(frames_by_version, "supply", "supply_plan")
    capacity = _frame(frames_by_version, "supply", "capacity_plan")
    consensus = _frame(frames_by_version, "demand", "consensus")
    monthly = demand_supply_by_month(consensus, supply_plan, finance["lines"])
    utilisation = capacity[["resource", "period", "utilisation"]].reset_index(drop=True)
    names = _names(tables)
    issues = finance["issues"].reindex(columns=ISSUE_COLUMNS).sort_values("rank", ignore_index=True)
    issues["label"] = [views.label(s, names) for s in issues["subject"]]
    issues["name"] = [views.name_of(s, names) for s in issues["subject"]]
    bridge = finance["revenue_bridge"][["step", "value", "cumulative"]].reset_index(drop=True)
    margin = finance["margin_bridge"][["step", "value", "cumulative"]].reset_index(drop=True)
    side_by_side = _scenario_kpis(scenarios)
    kpis = budget_kpis(finance, supply_plan, currency)
    lines = finance["lines"]
    families_of = _families_of(tables, lines)
    families = views.family_demand(
        consensus.assign(family=consensus["item"].astype(str).map(families_of).fillna("other")),
        finance["budget_variance"],
        tables.get("sales_history"),
        families_of,
        names,
    )
    service = views.inventory_service(supply_plan, finance["working_capital"])
    backtest = frames_by_version["demand"].get("backtest")
    accuracy = views.forecast_accuracy(
        backtest if backtest is not None else pd.DataFrame(), families_of, names
    )
    supply_now = {k: v for k, v in frames_by_version["supply"].items()}
    headline = views.plan_headline(supply_now, finance)
    changes = pd.DataFrame(columns=views.CHANGE_COLUMNS)
    if previous is not None and "supply" in previous:
        before = views.plan_headline(previous["supply"], previous.get("finance"))
        changes = views.plan_changes(headline, before, currency)
    summary = views.summary_lines(
        kpis,
        issues,
        top_bottleneck(capacity) if "shadow_price" in capacity else None,
        views.late_units(supply_plan),
        changes,
        previous_name or "the previous plan",
        currency,
    )
    money = kpis[kpis["unit"] != "%"].head(2)  # revenue and margin in the budget months
    images = {
        "kpis": charts.kpi_chart(money, currency),
        "demand_supply": charts.demand_supply_chart(monthly),
        "capacity": charts.capacity_heatmap(utilisation),
        "bridge": charts.bridge_chart(bridge, currency),
        "margin_bridge": charts.bridge_chart(margin, currency, measure="gross margin"),
        "issues": charts.issues_chart(issues, currency),
        "families": review_charts.family_chart(families),
        "service": review_charts.service_chart(service, currency),
    }
    trend = trend if trend is not None else pd.DataFrame(columns=TREND_COLUMNS)
    if len(trend):
        images["trend"] = trend_chart(trend, currency)
    if len(side_by_side):
        images["scenarios"] = charts.scenario_chart(side_by_side, currency)
    return Pack(
        cycle,
        currency,
        kpis,
        monthly,
        utilisation,
        bridge,
        issues,
        images,
        dict(versions or {}),
        margin,
        side_by_side,
        company=company,
        as_of=as_of,
        summary=summary,
        families=families,
        service=service,
        accuracy=accuracy,
        changes=changes,
        previous_name=previous_name,
        trend=trend,
    )
