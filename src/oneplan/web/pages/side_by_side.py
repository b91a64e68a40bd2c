"""What the Scenarios and Executive pages share: the plans' KPIs side by side with the base
plan (each row in its own unit, each scenario with its change against the base), and a job's
progress bar that follows the job until it ends while the page stays usable."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pandas as pd
from nicegui import ui

from oneplan.services.jobs.schemas import FINISHED, JobOut
from oneplan.web.grid import data_grid
from oneplan.web.visitor import Visitor

#: How often a page asks how far a job is, in seconds.
POLL_SECONDS = 1.0
BASE = "base"
MONEY = ("total cost", "revenue", "gross margin", "revenue at price")
SERVICE = ("service level on time", "unmet units")


def kpi_unit(kpi: str) -> str:
    """How a KPI of `compare_scenarios` reads: money, a share, units or text.

    >>> [kpi_unit(k) for k in ("revenue", "margin %", "utilisation INJ-N1", "unmet units")]
    ['money', 'share', 'share', 'units']
    """
    if kpi in MONEY:
        return "money"
    if kpi == "unmet units":
        return "units"
    if kpi == "top bottleneck":
        return "text"
    return "share"


def kpi_group(kpi: str) -> str:
    if kpi in MONEY or kpi == "margin %":
        return "money"
    return "service" if kpi in SERVICE else "capacity"


def side_by_side(kpis: pd.DataFrame) -> pd.DataFrame:
    """``kpi, group, unit``, the base plan, then each scenario and its change against the base
    (None where a KPI is text or missing), from `Comparison.kpis` (a row per KPI, a column per
    plan)."""
    table = kpis.reset_index().rename(columns={kpis.index.name or "index": "kpi"})
    out = pd.DataFrame({"kpi": table["kpi"].astype(str)})
    out["group"] = out["kpi"].map(kpi_group)
    out["unit"] = out["kpi"].map(kpi_unit)
    out[BASE] = table[BASE].to_numpy()
    numbers = out["unit"] != "text"
    base = pd.to_numeric(table[BASE].where(numbers), errors="coerce")
    for name in [c for c in table.columns if c not in ("kpi", BASE)]:
        out[str(name)] = table[name].to_numpy()
        change = pd.to_numeric(table[name].where(numbers), errors="coerce") - base
        out[f"{name} vs base"] = [None if pd.isna(v) else float(v) for v in change]
    order = {"money": 0, "service": 1, "capacity": 2}
    return out.sort_values("group", key=lambda g: g.map(order), kind="stable").reset_index(
        drop=True
    )


_BY_UNIT = (
    "const v = params.value; const u = params.data.unit; "
    "if (v == null || v === '') return ''; if (typeof v !== 'number') return v; "
)


def kpi_grid(kpis: pd.DataFrame, *, name: str, height: str = "h-80") -> ui.aggrid:
    """`side_by_side` of ``kpis`` as a grid whose cells read in their row's unit (money and
    units whole, shares in %, a share's change in points), exportable to xlsx."""
    table = side_by_side(kpis)
    grid = data_grid(
        table,
        name=name,
        titles={BASE: "Base plan"},
        pinned=("kpi",),
        height=height,
    )
    wrap_headers(grid)
    for column in grid.options["columnDefs"]:
        field = str(column["field"])
        if field == "unit":  # read by the formatter and kept in the file, not shown
            column["hide"] = True
        if field in ("kpi", "group", "unit"):
            column["minWidth"] = 150 if field == "kpi" else 90
            continue
        points = field.endswith(" vs base")
        share = (
            "(points ? (v >= 0 ? '+' : '') + (100 * v).toFixed(1) + ' pts' "
            ": (100 * v).toFixed(1) + ' %')"
        )
        whole = "(points && v > 0 ? '+' : '') + Math.round(v).toLocaleString('en-US')"
        column |= {
            "type": "rightAligned",
            ":valueFormatter": "params => { const points = "
            + ("true" if points else "false")
            + "; "
            + _BY_UNIT
            + f"return u === 'share' ? {share} : {whole}; }}",
        }
    grid.update()
    return grid


def wrap_headers(grid: ui.aggrid) -> ui.aggrid:
    """Long column titles (a scenario's name, a column before and after) wrap instead of
    being cut off; the caller updates the grid."""
    for column in grid.options["columnDefs"]:
        column |= {"wrapHeaderText": True, "autoHeaderHeight": True}
    return grid


class JobWatch:
    """A progress bar and the job's message, asked for every `POLL_SECONDS` until the job ends;
    then ``ended`` is called with the job as it finished."""

    def __init__(self, visitor: Visitor, ended: Callable[[JobOut], Awaitable[None]]) -> None:
        self.visitor, self.ended = visitor, ended
        self.job: JobOut | None = None
        with ui.column().classes("w-full gap-1") as self.box:
            self.message = ui.label("").classes("text-sm text-gray-600")
            self.bar = ui.linear_progress(value=0.0, show_value=False).props("rounded")
        self.box.visible = False
        self.timer = ui.timer(POLL_SECONDS, self.poll, active=False)

    @property
    def running(self) -> bool:
        return self.job is not None and self.job.state not in FINISHED

    def follow(self, job: JobOut) -> None:
        self.job = job
        self.show(job)
        self.timer.activate()

    def show(self, job: JobOut) -> None:
        self.box.visible = True
        self.message.text = f"Job #{job.id}: {job.message}"
        self.bar.value = job.progress

    async def poll(self) -> None:
        from oneplan.services.jobs.service import show_job

        if self.job is None:
            self.timer.deactivate()
            return
        job = await self.visitor.call(show_job, self.job.id)
        self.job = job
        self.show(job)
        if job.state in FINISHED:
            self.timer.deactivate()
            await self.ended(job)
