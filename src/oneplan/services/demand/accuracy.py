"""Forecast accuracy by lag and forecast value added, from every stored demand plan.

For each cycle the newest demand version that is not withdrawn counts (the plan the cycle ended
with); what is measured and how: `oneplan.engines.pipeline.accuracy`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.db.plans import PlanVersion
from oneplan.engines.pipeline.accuracy import SNAPSHOT_FRAMES, DemandAccuracy, measure_accuracy
from oneplan.services.actor import Actor
from oneplan.services.data.service import read_tables
from oneplan.services.versions.store import load_frames


def newest_per_cycle(session: Session) -> pd.DataFrame:
    """The newest demand version of each cycle: [cycle, version_id, created_at]."""
    rows = session.execute(
        sa.select(PlanVersion.cycle, PlanVersion.id, PlanVersion.created_at)
        .where(PlanVersion.kind == "demand", PlanVersion.state != "superseded")
        .order_by(PlanVersion.cycle, PlanVersion.created_at, PlanVersion.id)
    ).all()
    versions = pd.DataFrame(rows, columns=["cycle", "version_id", "created_at"])
    return versions.drop_duplicates("cycle", keep="last").reset_index(drop=True)


def demand_accuracy(
    session: Session,
    actor: Actor,
    *,
    lags: Sequence[int] | None = (1, 3),
    season_length: int | None = 12,
) -> DemandAccuracy:
    """Measure every stored demand plan against the sales that have arrived since.

    ``lags`` picks the lags (months from cycle to period; None: all). The naive layer is
    seasonal with ``season_length`` (None: the last month).
    """
    tables = read_tables(session, ["items", "families", "locations", "sales_history"])
    versions = newest_per_cycle(session)
    snapshots = [
        (str(month), load_frames(session, int(version_id), SNAPSHOT_FRAMES))
        for version_id, month in zip(versions["version_id"], versions["cycle"], strict=True)
    ]
    return measure_accuracy(snapshots, versions, tables, lags=lags, season_length=season_length)
