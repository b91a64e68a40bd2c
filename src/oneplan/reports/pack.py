"""The executive S&OP pack: figures and charts from the cycle's plan versions, then files.

`build_pack` is pure (frames in, a `Pack` out); `write_xlsx` and `write_html` turn a pack into
a workbook (a sheet per page, charts embedded) and one self-contained HTML page (images inline).
What each page shows: docs/executive-pack.md.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oneplan.engines.frames import month_starts, require_columns
from oneplan.engines.kpi import on_time_share
from oneplan.errors import InputError
from oneplan.reports import charts
from oneplan.reports.tables import (
    bridge_table,
    image,
    issue_rows,
    kpi_rows,
    put,
    scenario_table,
    scenario_unit,
    sheet_table,
)

#: The frames the pack reads from each version, with the columns it needs.
NEEDS: dict[str, dict[str, list[str]]] = {
    "demand": {"consensus": ["period", "quantity"]},
    "supply": {
        "supply_plan": ["period", "demand", "production", "backlog", "lost_sales"],
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
    "scenarios": ("Scenarios: total cost and service level", "Scenarios"),
}
#: What the Scenarios page says when no scenario has been run.
NO_SCENARIOS = "No scenario has been run this cycle: the plan stands alone."


@dataclass(frozen=True)
class Pack:
    """Everything the executive pack shows, ready to write.

    kpis: ``measure, plan, budget, variance, variance_pct, unit`` (budget NaN when there is
    none); monthly: ``period, consensus, production, shipped``; utilisation: ``resource,
    period, utilisation``; bridge and margin_bridge: ``step, value, cumulative``; issues: the
    ranked gap list; scenarios: ``kpi`` then a column for the base plan and each scenario run
    (no rows when none was run).
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


def _frame(frames: Mapping[str, Mapping[str, pd.DataFrame]], kind: str, name: str) -> pd.DataFrame:
    version = frames.get(kind)
    if version is None or name not in version:
        raise InputError(f"has no frame {name!r}", table=f"{kind} plan")
    frame = version[name]
    require_columns(frame, NEEDS[kind][name], f"{kind} plan {name}")
    return frame


def _kpis(
    finance: dict[str, pd.DataFrame], supply_plan: pd.DataFrame, currency: str
) -> pd.DataFrame:
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


def build_pack(
    frames_by_version: Mapping[str, Mapping[str, pd.DataFrame]],
    *,
    cycle: str = "",
    currency: str = "",
    versions: Mapping[str, int] | None = None,
    scenarios: pd.DataFrame | None = None,
) -> Pack:
    """The pack from the ``demand``, ``supply`` and ``finance`` versions' frames (pure).

    scenarios: the side-by-side KPIs of the base plan and each scenario run, as
    `compare_scenarios` gives them (a row per KPI indexed or headed ``kpi``, a column per plan);
    None or no rows gives a Scenarios page that says none was run. A missing frame or column
    raises `InputError` naming it (the table is the plan, e.g. ``finance plan lines``).
    """
    finance = {name: _frame(frames_by_version, "finance", name) for name in NEEDS["finance"]}
    supply_plan = _frame(frames_by_version, "supply", "supply_plan")
    capacity = _frame(frames_by_version, "supply", "capacity_plan")
    consensus = _frame(frames_by_version, "demand", "consensus")
    made = supply_plan.assign(made=supply_plan["production"] + supply_plan.get("subcontract", 0.0))
    monthly = pd.DataFrame(
        {
            "consensus": _by_month(consensus, "quantity", "demand plan consensus"),
            "production": _by_month(made, "made", "supply plan supply_plan"),
            "shipped": _by_month(finance["lines"], "shipped_quantity", "finance plan lines"),
        }
    ).fillna(0.0)
    monthly = monthly.rename_axis("period").sort_index().reset_index()
    utilisation = capacity[["resource", "period", "utilisation"]].reset_index(drop=True)
    issues = finance["issues"].reindex(columns=ISSUE_COLUMNS).sort_values("rank", ignore_index=True)
    bridge = finance["revenue_bridge"][["step", "value", "cumulative"]].reset_index(drop=True)
    margin = finance["margin_bridge"][["step", "value", "cumulative"]].reset_index(drop=True)
    side_by_side = _scenario_kpis(scenarios)
    kpis = _kpis(finance, supply_plan, currency)
    money = kpis[kpis["unit"] != "%"].head(2)  # revenue and margin in the budget months
    images = {
        "kpis": charts.kpi_chart(money, currency),
        "demand_supply": charts.demand_supply_chart(monthly),
        "capacity": charts.capacity_heatmap(utilisation),
        "bridge": charts.bridge_chart(bridge, currency),
        "margin_bridge": charts.bridge_chart(margin, currency, measure="gross margin"),
        "issues": charts.issues_chart(issues, currency),
    }
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
    )


# -- xlsx ---------------------------------------------------------------------------------

MONEY = {"value": "#,##0", "cumulative": "#,##0"}


def _scenario_sheet(sheet: Any, pack: Pack) -> None:
    if not len(pack.scenarios):
        put(sheet, 1, 1, NO_SCENARIOS)
        return
    row = sheet_table(sheet, pack.scenarios)
    shape = {"%": "0.0%", "": "#,##0", "text": "@"}
    for offset, kpi in enumerate(pack.scenarios["kpi"], start=2):
        for column in range(2, len(pack.scenarios.columns) + 1):
            sheet.cell(row=offset, column=column).number_format = shape[scenario_unit(str(kpi))]
    image(sheet, pack.charts["scenarios"], f"A{row + 1}")


def write_xlsx(pack: Pack, path: Path) -> Path:
    """The pack as a workbook: Summary, Demand vs supply, Capacity, Bridge, Issues, Scenarios."""
    import openpyxl

    workbook = openpyxl.Workbook()
    summary = workbook.active
    summary.title = "Summary"
    put(summary, 1, 1, f"Executive S&OP pack {pack.cycle}".strip())
    percent = (pack.kpis["unit"] == "%").to_numpy()
    row = sheet_table(summary, pack.kpis, top=3, formats={"variance_pct": "0.0%"})
    for offset, share in enumerate(percent):
        for column in (2, 3, 4):
            cell = summary.cell(row=4 + offset, column=column)
            cell.number_format = "0.0%" if share else "#,##0"
    image(summary, pack.charts["kpis"], f"A{row + 1}")

    sheet = workbook.create_sheet("Demand vs supply")
    number = {c: "#,##0" for c in ("consensus", "production", "shipped")}
    sheet_table(sheet, pack.monthly, formats={"period": "yyyy-mm", **number})
    image(sheet, pack.charts["demand_supply"], "F2")

    sheet = workbook.create_sheet("Capacity")
    grid = pack.utilisation.assign(
        month=pd.to_datetime(pack.utilisation["period"]).dt.strftime("%Y-%m")
    )
    wide = grid.pivot_table(index="resource", columns="month", values="utilisation", aggfunc="max")
    wide = wide.reset_index()
    wide.columns = [str(c) for c in wide.columns]
    row = sheet_table(sheet, wide, formats={c: "0%" for c in wide.columns[1:]})
    image(sheet, pack.charts["capacity"], f"A{row + 1}")

    # revenue bridge on top, gross margin bridge below it, each table beside its chart
    sheet = workbook.create_sheet("Bridge")
    put(sheet, 1, 1, "revenue bridge")
    sheet_table(sheet, pack.bridge, top=2, formats=MONEY)
    image(sheet, pack.charts["bridge"], "E2")
    below = max(len(pack.bridge) + 4, 24)  # under the revenue chart (about 20 rows high)
    put(sheet, below, 1, "gross margin bridge")
    sheet_table(sheet, pack.margin_bridge, top=below + 1, formats=MONEY)
    image(sheet, pack.charts["margin_bridge"], f"E{below + 1}")

    sheet = workbook.create_sheet("Issues")
    row = sheet_table(
        sheet, pack.issues, formats={"period": "yyyy-mm", "units": "#,##0", "money": "#,##0"}
    )
    image(sheet, pack.charts["issues"], f"A{row + 1}")
    _scenario_sheet(workbook.create_sheet("Scenarios"), pack)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


# -- HTML ---------------------------------------------------------------------------------

STYLE = """body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px}
th{background:#eef2f6;text-align:left}td.n{text-align:right}.bad{color:#c0392b}
.good{color:#2e8b57}img{max-width:100%;display:block;margin:1em 0}"""


def _img(pack: Pack, name: str) -> str:
    data = base64.b64encode(pack.charts[name]).decode("ascii")
    return f'<img alt="{html.escape(CHARTS[name][0])}" src="data:image/png;base64,{data}">'


def _scenario_section(pack: Pack) -> str:
    if not len(pack.scenarios):
        return f"<p>{html.escape(NO_SCENARIOS)}</p>"
    note = "Each scenario's newest run against the newest base supply plan."
    return f"<p>{note}</p>{scenario_table(pack.scenarios)}{_img(pack, 'scenarios')}"


def render_html(pack: Pack) -> str:
    """The pack as one self-contained HTML page (no external files, no scripts)."""
    title = html.escape(f"Executive S&OP pack {pack.cycle}".strip())
    money = f" ({html.escape(pack.currency)})" if pack.currency else ""
    versions = ", ".join(f"{k} #{v}" for k, v in pack.versions.items())
    head = ["measure", "plan", "budget", "vs budget", "vs budget %", "unit"]
    issue_head = ["#", "issue", "subject", "from", "months", "units", f"money{money}"]
    issue_head += ["decision asked for", "cause"]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title><style>{STYLE}</style></head>
<body>
<h1>{title}</h1>
<p>Plan versions: {html.escape(versions) or "-"}</p>
<section id="kpis"><h2>Headline KPIs against budget{money}</h2>
<p>Budget comparisons cover the months that have a budget; "whole plan" rows cover the horizon.</p>
<table><tr>{"".join(f"<th>{h}</th>" for h in head)}</tr>
{kpi_rows(pack.kpis)}
</table>{_img(pack, "kpis")}</section>
<section id="issues"><h2>Gaps and the decisions asked for</h2>
<table><tr>{"".join(f"<th>{html.escape(h)}</th>" for h in issue_head)}</tr>
{issue_rows(pack.issues)}
</table>{_img(pack, "issues")}</section>
<section id="demand-supply"><h2>Demand against constrained supply</h2>
{_img(pack, "demand_supply")}</section>
<section id="capacity"><h2>Capacity utilisation</h2>{_img(pack, "capacity")}</section>
<section id="bridge"><h2>Revenue bridge, budget to plan{money}</h2>
{bridge_table(pack.bridge)}{_img(pack, "bridge")}</section>
<section id="margin-bridge"><h2>Gross margin bridge, budget to plan{money}</h2>
{bridge_table(pack.margin_bridge)}{_img(pack, "margin_bridge")}</section>
<section id="scenarios"><h2>Scenarios</h2>{_scenario_section(pack)}</section>
</body></html>
"""


def write_html(pack: Pack, path: Path) -> Path:
    """Write `render_html` to `path` (UTF-8)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(pack), encoding="utf-8")
    return path
