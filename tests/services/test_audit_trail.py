"""Imports and overrides leave an audit event in the same transaction as the change."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from oneplan.config import Settings
from oneplan.db.session import unit_of_work
from oneplan.errors import ValidationFailed
from oneplan.services.audit import events
from oneplan.services.demand_overrides import add_override
from oneplan.services.imports import import_package


def test_an_import_is_audited(engine: sa.Engine, demo_csv: Path, settings: Settings) -> None:
    report = import_package(engine, demo_csv, settings=settings)
    with unit_of_work(engine, write=False) as session:
        found = events(session, subject_type="import")
    assert [(e.action, e.subject_id, e.actor) for e in found] == [
        ("import.done", str(report.import_id), "tester")
    ]
    assert found[0].detail["tables"]["items"]["inserted"] == report.counts["items"].inserted


def test_an_override_is_audited_and_a_refused_one_is_not(
    engine: sa.Engine, demo_csv: Path, settings: Settings
) -> None:
    import_package(engine, demo_csv, settings=settings)
    stored = add_override(
        engine,
        level="total",
        member="",
        period="2027-03",
        kind="relative",
        value=10.0,
        reason="trade fair",
        settings=settings,
        author="maria",
    )
    with pytest.raises(ValidationFailed):
        add_override(
            engine,
            level="total",
            member="",
            period="2027-03",
            kind="relative",
            value=10.0,
            reason="",
            settings=settings,
        )
    with unit_of_work(engine, write=False) as session:
        found = events(session, subject_type="demand_override")
    assert [(e.action, e.subject_id, e.actor) for e in found] == [
        ("demand.override", str(stored.id), "maria")
    ]
    assert found[0].detail["reason"] == "trade fair"
    assert found[0].detail["value"] == 10.0
