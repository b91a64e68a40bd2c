"""The permission matrix, walked for every role over the services: what a role may do works,
what it may not is refused with `PermissionDenied` naming the role and the permission, and the
database is left as it was. docs/security.md prints the same matrix."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from oneplan.config import Settings
from oneplan.db import bulk
from oneplan.db.base import Base
from oneplan.db.session import unit_of_work
from oneplan.errors import PermissionDenied
from oneplan.services.actor import Actor
from oneplan.services.audit.verify import verify_chain
from oneplan.services.data.service import import_package, read_package_files
from oneplan.services.demand.overrides import add_override
from oneplan.services.demand.schemas import OverrideIn
from oneplan.services.demand.service import demand_run
from oneplan.services.finance.service import finance_run
from oneplan.services.permissions import ROLE_PERMISSIONS, Grant, Permission, Role, matrix
from oneplan.services.report.service import report_run
from oneplan.services.scenario.service import create_scenario, scenario_run
from oneplan.services.supply.mps import export_mps
from oneplan.services.supply.service import supply_run
from oneplan.services.users.service import create_user
from oneplan.services.versions.lifecycle import transition
from oneplan.services.versions.store import save_version

DOCS = Path(__file__).parents[2] / "docs" / "security.md"
Operation = Callable[[Session, Actor], Any]


def stored(session: Session, actor: Actor, kind: str, state: str = "draft") -> int:
    version = save_version(
        session,
        actor,
        cycle="2027-01",
        kind=kind,
        name=f"{kind} by hand",
        frames={"consensus": pd.DataFrame({"quantity": [1.0]})},
        settings={},
        summary={"status": "optimal"},
        input_hash=f"{kind}-{state}",
    )
    version.state = state
    session.flush()
    return version.id


def operations(package: Path, out: Path, versions: dict[str, int]) -> dict[Permission, Operation]:
    """One call per permission, each a real service call that needs it and nothing more."""
    files = read_package_files(package, Settings(user="x"))
    override = OverrideIn(level="total", period="2027-03", kind="relative", value=5, reason="fair")

    def version_store(kind: str, builder: Callable[[Actor], Any]) -> Operation:
        # the run's builder refuses before any compute; the store refuses what is stored
        return lambda s, a: (builder(a), stored(s, a, kind))

    return {
        Permission.read: lambda s, a: verify_chain(s, a),
        Permission.import_data: lambda s, a: import_package(s, a, files),
        Permission.run_demand: version_store("demand", demand_run),
        Permission.override_demand: lambda s, a: add_override(s, a, override),
        Permission.run_supply: version_store("supply", supply_run),
        Permission.export_mps: lambda s, a: export_mps(s, a, out / "mps", grain="month"),
        Permission.run_finance: version_store("finance", finance_run),
        Permission.edit_scenario: lambda s, a: create_scenario(s, a, "what if"),
        Permission.run_scenario: version_store("scenario", lambda a: scenario_run(a, "x")),
        Permission.propose_plan: lambda s, a: transition(s, a, versions["draft"], "propose"),
        Permission.approve_plan: lambda s, a: transition(s, a, versions["proposed"], "approve"),
        Permission.release_plan: lambda s, a: transition(s, a, versions["approved"], "release"),
        Permission.write_report: lambda s, a: report_run(a),
        Permission.manage_users: lambda s, a: create_user(s, a, "newcomer", password=None),
    }


@contextmanager
def rolled_back(engine: sa.Engine) -> Iterator[Session]:
    """A write transaction that is always rolled back: each allowed call starts from the same
    database."""
    with Session(engine.execution_options(oneplan_write=True)) as session:
        session.begin()
        try:
            yield session
        finally:
            session.rollback()


def fingerprint(engine: sa.Engine) -> dict[str, Any]:
    with engine.connect() as connection:
        counts: dict[str, Any] = {
            t.name: bulk.count_rows(connection, t) for t in Base.metadata.sorted_tables
        }
        counts["states"] = sorted(
            connection.execute(sa.text("SELECT id, state FROM plan_versions")).all()
        )
        counts["head"] = connection.execute(sa.text("SELECT last_hash FROM audit_chain")).one()
    return counts


def test_every_role_may_do_what_the_matrix_says_and_nothing_else(
    planned: tuple[sa.Engine, pd.DataFrame], demo_csv: Path, tmp_path: Path
) -> None:
    engine, _ = planned
    setup = Actor.administrator("setup")
    with unit_of_work(engine) as session:
        create_user(session, setup, "setup", password=None, grants=[Grant(Role.admin)])
        versions = {state: stored(session, setup, "demand", state) for state in ("draft",)}
        versions["proposed"] = stored(session, setup, "demand", "proposed")
        versions["approved"] = stored(session, setup, "demand", "approved")
    calls = operations(demo_csv, tmp_path, versions)
    assert set(calls) == set(Permission)  # every permission is walked
    wrong = []
    for role in Role:
        person = Actor(f"{role.value}-person", frozenset({Grant(role)}))
        for permission, call in calls.items():
            if permission in ROLE_PERMISSIONS[role]:
                with rolled_back(engine) as session:
                    try:
                        call(session, person)
                    except PermissionDenied as error:
                        wrong.append(f"{role} was refused {permission}: {error}")
                continue
            before = fingerprint(engine)
            try:
                with unit_of_work(engine) as session:
                    call(session, person)
                wrong.append(f"{role} was allowed {permission}")
            except PermissionDenied as error:
                message = str(error)
                if f"({role.value})" not in message or permission.value not in message:
                    wrong.append(f"{role}, {permission}: the message says {message!r}")
            if fingerprint(engine) != before:
                wrong.append(f"{role}, {permission}: the refused call changed the database")
    assert wrong == []


def test_an_actor_without_a_grant_may_do_nothing(planned: tuple[sa.Engine, Any]) -> None:
    engine, _ = planned
    nobody = Actor("nobody")
    for call in (
        lambda s: verify_chain(s, nobody),
        lambda s: create_scenario(s, nobody, "mine"),
        lambda s: stored(s, nobody, "supply"),
    ):
        try:
            with unit_of_work(engine) as session:
                call(session)
        except PermissionDenied as error:
            assert "nobody (no role) may not" in str(error)
        else:
            raise AssertionError("an actor without a grant was allowed")


def test_the_documented_matrix_is_the_one_the_services_enforce() -> None:
    assert matrix() in DOCS.read_text()
