"""The report step: the executive S&OP pack from the cycle's newest plan versions.

Reads the newest financial plan and the demand and supply versions it was built from (the
newest of each kind when the financial plan does not name them) and the comparison of every
scenario that has been run, builds the pack and writes ``sop-pack-<cycle>.xlsx``, ``.html``
and ``.pdf``. Pages: docs/executive-pack.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.db.plans import PlanVersion
from oneplan.errors import NotFound
from oneplan.reports.pack import NEEDS, Pack, build_pack, write_html, write_xlsx
from oneplan.reports.pdf import write_pdf
from oneplan.services.actor import Actor
from oneplan.services.permissions import Permission, require
from oneplan.services.phases import ReadRun
from oneplan.services.scenario.compare import compare_scenarios
from oneplan.services.scenario.service import list_scenarios
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


def _version(session: Session, kind: str, version_id: Any = None) -> PlanVersion:
    """The version with this id when it is of this kind, else the newest of the kind."""
    query = sa.select(PlanVersion).where(PlanVersion.kind == kind)
    if isinstance(version_id, int):
        found = session.scalars(query.where(PlanVersion.id == version_id)).first()
        if found is not None:
            return found
    version = session.scalars(query.order_by(PlanVersion.id.desc()).limit(1)).first()
    if version is None:
        raise NotFound(
            f"there is no {kind} plan to report: no {kind} plan version is stored "
            f"(run the {MADE_BY[kind]} step first)"
        )
    return version


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
        kind: load_frames(session, version.id, list(NEEDS[kind]))
        for kind, version in chosen.items()
    }
    # only scenarios with a run: the page compares results, not intentions
    run = [info.name for info in list_scenarios(session, actor) if info.runs]
    scenarios = compare_scenarios(session, actor, run).kpis if run else None
    return ReportInputs(
        finance.cycle,
        str(summary.get("currency") or ""),
        frames,
        {kind: version.id for kind, version in chosen.items()},
        scenarios,
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
