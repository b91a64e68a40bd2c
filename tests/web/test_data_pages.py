"""The Data page: an upload is checked before anything changes, every problem named by file,
row and column; a good one imports with its provenance; a viewer's import is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from nicegui import ui
from nicegui.elements.upload_files import SmallFileUpload
from nicegui.testing.user import User
from tests.web.conftest import Browsers
from tests.web.packages import with_bad_items, zipped

from oneplan.db.session import unit_of_work
from oneplan.services.permissions import Role

pytestmark = pytest.mark.anyio


def _count(engine: sa.Engine, table: str) -> int:
    with unit_of_work(engine, write=False) as session:
        return int(session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


async def _upload(user: User, name: str, content: bytes) -> None:
    (upload,) = user.find(marker="package-upload").elements
    assert isinstance(upload, ui.upload)
    await upload.handle_uploads([SmallFileUpload(name, "application/zip", content)])


def _rows(user: User, marker: str) -> list[dict[str, Any]]:
    (grid,) = user.find(marker=marker).elements
    rows: list[dict[str, Any]] = grid.props["options"]["rowData"]
    return rows


async def test_a_bad_upload_shows_its_problems_and_changes_nothing(
    web: Browsers, engine: sa.Engine, demo_csv: Path
) -> None:
    planner = web.person("dana", Role.demand_planner)
    await planner.open("/data")
    await planner.should_see("Nothing has been imported yet.")
    await _upload(planner, "june.zip", with_bad_items(demo_csv))
    await planner.should_see(marker="upload-problems", retries=300)  # reading takes time
    await planner.should_see("june.zip: ")
    found = {(r["file"], r["row"], r["column"]) for r in _rows(planner, "grid-problems")}
    assert {("items.csv", 3, "uom"), ("items.csv", 4, "lifecycle_status")} <= found
    await planner.should_not_see(marker="import")
    assert _count(engine, "items") == 0 and _count(engine, "imports") == 0


async def test_a_good_upload_imports_and_lists_its_provenance(
    web: Browsers, engine: sa.Engine, demo_csv: Path
) -> None:
    planner = web.person("dana", Role.demand_planner)
    await planner.open("/data")
    await _upload(planner, "june.zip", zipped(demo_csv))
    await planner.should_see(marker="upload-valid", retries=300)
    assert _count(engine, "items") == 0  # checked, not yet imported
    planner.find(marker="import").click()
    await planner.should_see(marker="import-done", retries=300)
    assert _count(engine, "items") == 30
    await planner.should_see(marker="grid-imports")
    (past,) = _rows(planner, "grid-imports")
    assert (past["by"], past["file"], past["format"]) == ("dana", "upload june.zip", "csv")
    assert "items: 30 new" in past["rows per table"]


async def test_a_viewer_may_check_but_not_import(
    web: Browsers, engine: sa.Engine, demo_csv: Path
) -> None:
    viewer = web.person("vic", Role.viewer)
    await viewer.open("/data")
    await _upload(viewer, "june.zip", zipped(demo_csv))
    await viewer.should_see(marker="upload-valid", retries=300)
    viewer.find(marker="import").click()
    await viewer.should_see("may not import data", retries=300)
    assert _count(engine, "items") == 0 and _count(engine, "imports") == 0


async def test_the_package_downloads(web: Browsers, engine: sa.Engine, demo_csv: Path) -> None:
    admin = web.person("ada", Role.admin)
    await admin.open("/data")
    admin.find(marker="export-package").click()
    answer = await admin.download.next(timeout=30)
    assert answer.content[:2] == b"PK"
