"""The report step: the executive S&OP pack from the cycle's newest plan versions.

Reads the newest financial plan and the demand and supply versions it was built from (the
newest of each kind when the financial plan does not name them; the supply plan it valued may
be a scenario adopted as the plan), the comparison of every
scenario that has been run, the previous released or approved supply plan (with its financial
plan when one was built from it), the item, family and resource names, the sales history and
the plans the closed cycles kept (the trend page), builds the pack and writes
``sop-pack-<cycle>.xlsx``, ``.html`` and ``.pdf``. Pages: docs/executive-pack.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.db.plans import PlanVersion
from oneplan.engines.pipeline.trend import CycleSnapshot, cycle_trend
from oneplan.errors import NotFound
from oneplan.reports.pack import NEEDS, OPTIONAL, TABLES, Pack, build_pack
from oneplan.reports.page import write_html
from oneplan.reports.pdf import write_pdf
from oneplan.reports.workbook import write_xlsx
from oneplan.services.actor import Actor
from oneplan.services.data.service import read_tables
from oneplan.services.permissions import Permission, require
from oneplan.services.phases import ReadRun
from oneplan.services.scenario.compare import compare_scenarios
from oneplan.services.scenario.service import list_scenarios
from oneplan.services.versions.lifecycle import SUPPLY_PLANS, family_kinds
from oneplan.services.versions.snapshots import ACTUAL_TABLES, load_snapshots
from oneplan.services.versions.store import load_frames

#: Where the cycle's report step writes when it is given no folder.
DEFAULT_FOLDER = Path("reports")
#: The step that makes each kind of plan version, for the message when one is missing.
MADE_BY = {"demand": "demand", "supply": "supply", "finance": "finance"}


@dataclass(frozen=True)
class ReportResult:
    """One written pack: its cycle, the files by format and the versions it shows."""

    cycle: str
    files: dict[str, Path]
    versions: dict[str, int]
    pack: Pack


@dataclass(frozen=True)
class ReportInputs:
    """The frames the pack shows, by kind of plan, and the scenario comparison."""

    cycle: str
    currency: str
    frames: dict[str, dict[str, pd.DataFrame]]
    versions: dict[str, int]
    scenarios: pd.DataFrame | None
    company: str = ""
    as_of: str = ""
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    previous: dict[str, dict[str, pd.DataFrame]] | None = None
    previous_name: str = ""
    closed: list[CycleSnapshot] = field(default_factory=list)
    actuals: dict[str, pd.DataFrame] = field(default_factory=dict)


def _version(session: Session, kind: str, version_id: Any = None) -> PlanVersion:
    """The version with this id when it is of this kind (a supply plan: the base plan or a
    scenario run), else the newest of the kind."""
    if isinstance(version_id, int):
        kinds = family_kinds(kind)
        found = session.scalars(
            sa.select(PlanVersion).where(PlanVersion.kind.in_(kinds), PlanVersion.id == version_id)
        ).first()
        if found is not None:
            return found
    query = sa.select(PlanVersion).where(PlanVersion.kind == kind)
    version = session.scalars(query.order_by(PlanVersion.id.desc()).limit(1)).first()
    if version is None:
        raise NotFound(
            f"there is no {kind} plan to report: no {kind} plan version is stored "
            f"(run the {MADE_BY[kind]} step first)"
        )
    return version


def _previous_plan(
    session: Session, supply_id: int
) -> tuple[dict[str, dict[str, pd.DataFrame]] | None, str]:
    """The newest released or approved supply plan other than this one, with the newest
    financial plan built from it; (None, "") when there is none."""
    previous = session.scalars(
        sa.select(PlanVersion)
        .where(
            PlanVersion.kind.in_(SUPPLY_PLANS),
            PlanVersion.state.in_(["released", "approved"]),
            PlanVersion.id != supply_id,
        )
        .order_by(PlanVersion.id.desc())
        .limit(1)
    ).first()
    if previous is None:
        return None, ""
    frames = {"supply": load_frames(session, previous.id, ["supply_plan", "cost_breakdown"])}
    valued = session.scalars(
        sa.select(PlanVersion).where(PlanVersion.kind == "finance").order_by(PlanVersion.id.desc())
    ).all()
    for finance in valued:
        if (finance.summary or {}).get("supply_version") == previous.id:
            frames["finance"] = load_frames(session, finance.id, ["lines", "working_capital"])
            break
    name = f"the {previous.state} plan of {previous.cycle} (version #{previous.id})"
    return frames, name


def load_report_inputs(session: Session, actor: Actor) -> ReportInputs:
    """NotFound, naming the step to run, when a demand, supply or finance version is missing."""
    require(actor, Permission.write_report)
    for kind in ("demand", "supply", "finance"):
        _version(session, kind)  # a clear message for the first missing step
    finance = _version(session, "finance")
    summary = dict(finance.summary or {})
    chosen = {
        "demand": _version(session, "demand", summary.get("demand_version")),
        "supply": _version(session, "supply", summary.get("supply_version")),
        "finance": finance,
    }
    frames = {
        kind: load_frames(session, version.id, [*NEEDS[kind], *OPTIONAL.get(kind, [])])
        for kind, version in chosen.items()
    }
    tables = read_tables(session, [*TABLES, "parameters"])
    parameters = tables.pop("parameters")
    named = dict(zip(parameters["name"].astype(str), parameters["value"], strict=True))
    previous, previous_name = _previous_plan(session, chosen["supply"].id)
    # only scenarios with a run: the page compares results, not intentions
    run = [info.name for info in list_scenarios(session, actor) if info.runs]
    scenarios = compare_scenarios(session, actor, run).kpis if run else None
    # the closed cycles' plans and the actuals since: the trend page (computed with the pack)
    closed = load_snapshots(session)
    actuals = read_tables(session, ACTUAL_TABLES) if closed else {}
    return ReportInputs(
        finance.cycle,
        str(summary.get("currency") or ""),
        frames,
        {kind: version.id for kind, version in chosen.items()},
        scenarios,
        company=str(named.get("company_name") or ""),
        as_of=f"{datetime.now(UTC):%Y-%m-%d}",
        tables=tables,
        previous=previous,
        previous_name=previous_name,
        closed=closed,
        actuals=actuals,
    )


def write_report(inputs: ReportInputs, out_dir: Path) -> ReportResult:
    """Build the pack and write it as xlsx, HTML and PDF into ``out_dir``.

    A stored version that lacks a frame or column the pack shows raises ``InputError``."""
    pack = build_pack(
        inputs.frames,
        cycle=inputs.cycle,
        currency=inputs.currency,
        versions=inputs.versions,
        scenarios=inputs.scenarios,
        company=inputs.company,
        as_of=inputs.as_of,
        tables=inputs.tables,
        previous=inputs.previous,
        previous_name=inputs.previous_name,
        trend=cycle_trend(inputs.closed, inputs.actuals) if inputs.closed else None,
    )
    out_dir = Path(out_dir)
    stem = f"sop-pack-{inputs.cycle}"
    files = {
        "xlsx": write_xlsx(pack, out_dir / f"{stem}.xlsx"),
        "html": write_html(pack, out_dir / f"{stem}.html"),
        "pdf": write_pdf(pack, out_dir / f"{stem}.pdf"),
    }
    return ReportResult(inputs.cycle, files, inputs.versions, pack)


def report_run(actor: Actor, out_dir: Path = DEFAULT_FOLDER) -> ReadRun[ReportInputs, ReportResult]:
    """The report step: read the plans in one snapshot, then build and write the pack."""
    require(actor, Permission.write_report)
    return ReadRun(
        load=lambda session: load_report_inputs(session, actor),
        compute=lambda inputs: write_report(inputs, out_dir),
    )
