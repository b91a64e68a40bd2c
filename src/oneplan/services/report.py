"""The report step: the executive S&OP pack from the cycle's newest plan versions.

Reads the newest financial plan and the demand and supply versions it was built from (the
newest of each kind when the financial plan does not name them), builds the pack and writes
``sop-pack-<cycle>.xlsx``, ``.html`` and ``.pdf``. Pages: docs/executive-pack.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.config import Settings, get_settings
from oneplan.db.plans import PlanVersion
from oneplan.db.session import unit_of_work
from oneplan.errors import NotFound
from oneplan.reports.pack import NEEDS, Pack, build_pack, write_html, write_xlsx
from oneplan.reports.pdf import write_pdf
from oneplan.services.plans import load_frames
from oneplan.services.scenario_compare import compare_scenarios
from oneplan.services.scenarios import list_scenarios

if TYPE_CHECKING:
    from oneplan.pipeline import CycleContext

#: Where the cycle's report step writes when the context names no folder.
DEFAULT_FOLDER = Path("reports")
#: The step that makes each kind of plan version, for the message when one is missing.
MADE_BY = {"demand": "demand", "supply": "supply", "finance": "reconcile"}


@dataclass(frozen=True)
class ReportResult:
    """One written pack: its cycle, the files by format and the versions it shows."""

    cycle: str
    files: dict[str, Path]
    versions: dict[str, int]
    pack: Pack


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


def run_report(engine: sa.Engine, out_dir: Path, settings: Settings | None = None) -> ReportResult:
    """Write the executive pack (xlsx, HTML and PDF) of the newest financial plan into `out_dir`.

    The Scenarios page compares the base plan with every scenario that has been run.

    NotFound, naming the step to run, when a demand, supply or finance version is missing;
    ValidationFailed when a stored version lacks a frame or column the pack shows.
    """
    settings = settings or get_settings()  # kept for symmetry with the other steps
    with unit_of_work(engine, write=False) as session:
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
        versions = {kind: version.id for kind, version in chosen.items()}
        cycle = finance.cycle
        run = [info.scenario.name for info in list_scenarios(session) if info.versions]
    # only scenarios with a run: the page compares results, not intentions
    scenarios = compare_scenarios(engine, run).kpis if run else None
    pack = build_pack(
        frames,
        cycle=cycle,
        currency=str(summary.get("currency") or ""),
        versions=versions,
        scenarios=scenarios,
    )
    out_dir = Path(out_dir)
    stem = f"sop-pack-{cycle}"
    files = {
        "xlsx": write_xlsx(pack, out_dir / f"{stem}.xlsx"),
        "html": write_html(pack, out_dir / f"{stem}.html"),
        "pdf": write_pdf(pack, out_dir / f"{stem}.pdf"),
    }
    return ReportResult(cycle, files, versions, pack)


def step_summary(result: ReportResult) -> list[tuple[str, str]]:
    """What the cycle table shows for the report step."""
    lines = [(kind, str(path)) for kind, path in result.files.items()]
    lines.append(("versions", ", ".join(f"{k} #{v}" for k, v in result.versions.items())))
    lines.append(("issues", str(len(result.pack.issues))))
    return lines


def report_step(context: CycleContext) -> list[tuple[str, str]]:
    """The cycle's ``report`` step: write the pack into ``context.results["report_dir"]``.

    Without that entry the pack goes to ``reports/`` under the working directory.
    """
    out_dir = Path(context.results.get("report_dir") or DEFAULT_FOLDER)
    result = run_report(context.engine, out_dir, context.settings)
    context.results["report"] = result
    return step_summary(result)
