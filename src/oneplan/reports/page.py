"""The executive pack as one self-contained HTML page: what is asked and the charts first, the
detail (the issue list) folded away below them. No scripts, no external files."""

from __future__ import annotations

import base64
import html
from pathlib import Path

from oneplan.reports import views
from oneplan.reports.pack import CHARTS, NO_SCENARIOS, NO_TREND, Pack
from oneplan.reports.tables import (
    bridge_table,
    change_rows,
    issue_rows,
    kpi_rows,
    review_table,
    scenario_table,
)

STYLE = """body{font-family:system-ui,sans-serif;margin:2em auto;color:#222;max-width:1100px;
padding:0 1em}table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;
padding:4px 8px;vertical-align:top}th{background:#eef2f6;text-align:left}
td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.bad{color:#c0392b}.good{color:#2e8b57}.code{white-space:nowrap}
img{max-width:100%;display:block;margin:1em 0}.meta{color:#555}
ol.asked{font-size:1.1em;line-height:1.5}details{margin:1em 0}
summary{cursor:pointer;font-weight:600}section{margin-top:2em}"""


def _img(pack: Pack, name: str) -> str:
    data = base64.b64encode(pack.charts[name]).decode("ascii")
    return f'<img alt="{html.escape(CHARTS[name][0])}" src="data:image/png;base64,{data}">'


def _scenario_section(pack: Pack) -> str:
    if not len(pack.scenarios):
        return f"<p>{html.escape(NO_SCENARIOS)}</p>"
    note = "Each scenario's newest run against the newest base supply plan."
    return f"<p>{note}</p>{_img(pack, 'scenarios')}{scenario_table(pack.scenarios)}"


def _trend_section(pack: Pack) -> str:
    if "trend" not in pack.charts:
        return f"<p>{html.escape(NO_TREND)}</p>"
    note = (
        "Each closed cycle's released plan against the actuals that came after it; a dashed "
        "line (and <em>plan</em> in the table) is the released plan's own figure."
    )
    rows = pack.trend_rows
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in rows.columns)
    body = []
    for record in rows.itertuples(index=False):
        unit = str(record[1])
        cells = [f"<td>{html.escape(str(v))}</td>" for v in record[:3]]
        cells += [f'<td class="n">{_trend_value(v, unit)}</td>' for v in record[3:]]
        body.append(f"<tr>{''.join(cells)}</tr>")
    table = f"<table><tr>{head}</tr>{''.join(body)}</table>"
    figures = f"<details><summary>The figures</summary>{table}</details>"
    return f"<p>{note}</p>{_img(pack, 'trend')}{figures}"


def _trend_value(value: object, unit: str) -> str:
    number = float(value) if isinstance(value, int | float) else float("nan")
    if number != number:
        return "-"
    return f"{number:.1%}" if unit == "share" else f"{number:,.1f}"


def _changes_section(pack: Pack) -> str:
    if not len(pack.changes):
        return "<p>No earlier released or approved plan to compare with.</p>"
    intro = f"<p>This plan against {html.escape(pack.previous_name)}.</p>"
    return intro + change_rows(pack.changes, views.BETTER)


def _issues_section(pack: Pack, money: str) -> str:
    shown = pack.shown_issues
    head = ["#", "issue", "about", "from", "months", "units", "of", f"money{money}"]
    head += ["decision asked for", "cause"]
    more = len(pack.issues) - len(shown)
    rest = f" (the workbook lists all {len(pack.issues):,})" if more > 0 else ""
    return f"""{_img(pack, "issues")}
<details><summary>The {len(shown)} largest issues in detail{html.escape(rest)}</summary>
<table><tr>{"".join(f"<th>{html.escape(h)}</th>" for h in head)}</tr>
{issue_rows(shown)}
</table></details>"""


def render_html(pack: Pack) -> str:
    """The pack as one self-contained HTML page (no external files, no scripts)."""
    title = html.escape(pack.title)
    money = f" ({html.escape(pack.currency)})" if pack.currency else ""
    versions = ", ".join(f"{k} #{v}" for k, v in pack.versions.items())
    made = f", made {html.escape(pack.as_of)}" if pack.as_of else ""
    head = ["measure", "plan", "budget", "vs budget", "vs budget %", "unit"]
    asked = "".join(f"<li>{html.escape(line)}</li>" for line in pack.summary)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title><style>{STYLE}</style></head>
<body>
<header><h1>{title}</h1>
<p class="meta">S&amp;OP cycle {html.escape(pack.cycle)}{made}.
Plan versions: {html.escape(versions) or "-"}.</p></header>
<section id="asked"><h2>What the meeting is asked</h2><ol class="asked">{asked}</ol></section>
<section id="kpis"><h2>Headline KPIs against budget{money}</h2>
<p>Budget comparisons cover the months that have a budget; "whole plan" rows cover the horizon.
Green is ahead of budget, red behind.</p>
<table><tr>{"".join(f"<th>{h}</th>" for h in head)}</tr>
{kpi_rows(pack.kpis)}
</table>{_img(pack, "kpis")}</section>
<section id="issues"><h2>Gaps and the decisions asked for</h2>
{_issues_section(pack, money)}</section>
<section id="families"><h2>Demand by family against budget and last year</h2>
{_img(pack, "families")}{review_table(pack.families, views.FAMILY_TABLE)}</section>
<section id="demand-supply"><h2>Demand against constrained supply</h2>
{_img(pack, "demand_supply")}</section>
<section id="service"><h2>Inventory and service</h2>{_img(pack, "service")}
<details><summary>By month</summary>{review_table(pack.service, views.SERVICE_TABLE)}</details>
</section>
<section id="capacity"><h2>Capacity utilisation</h2>{_img(pack, "capacity")}</section>
<section id="bridge"><h2>Revenue bridge, budget to plan{money}</h2>
{_img(pack, "bridge")}{bridge_table(pack.bridge)}</section>
<section id="margin-bridge"><h2>Gross margin bridge, budget to plan{money}</h2>
{_img(pack, "margin_bridge")}{bridge_table(pack.margin_bridge)}</section>
<section id="accuracy"><h2>Forecast accuracy</h2>
<p>Backtest of the statistical forecast on the history: WAPE is the absolute error over the
actual units; a positive bias is a forecast that was too high.</p>
{review_table(pack.accuracy, views.ACCURACY_TABLE)}</section>
<section id="changes"><h2>What changed since the previous plan</h2>
{_changes_section(pack)}</section>
<section id="trend"><h2>KPIs cycle over cycle</h2>{_trend_section(pack)}</section>
<section id="scenarios"><h2>Scenarios</h2>{_scenario_section(pack)}</section>
</body></html>
"""


def write_html(pack: Pack, path: Path) -> Path:
    """Write `render_html` to `path` (UTF-8)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(pack), encoding="utf-8")
    return path
