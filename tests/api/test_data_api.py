"""The data package over HTTP, on both databases: an upload validated without changing
anything, a bad one refused naming file, row and column, an import with its provenance, the
export, and the refusals (too large, outside the package, a scoped reader's export)."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from oneplan.api.app import create_app
from oneplan.config import Settings
from oneplan.services.permissions import Role

from .conftest import People


def zipped(folder: Path, inside: str = "") -> bytes:
    """The package folder as the bytes of a zip (its files under ``inside`` if given)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.iterdir()):
            archive.write(file, f"{inside}{file.name}")
    return buffer.getvalue()


def upload(name: str, content: bytes) -> dict[str, Any]:
    return {"package": (name, content, "application/octet-stream")}


def rows(engine: sa.Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


@pytest.fixture
def bad_package(tmp_path: Path, demo_csv: Path) -> Path:
    """The demo package with one price that is no number (prices.csv, row 3, column price)."""
    folder = tmp_path / "bad"
    shutil.copytree(demo_csv, folder)
    prices = (folder / "prices.csv").read_text().splitlines()
    cells = prices[2].split(",")
    cells[3] = "cheap"
    prices[2] = ",".join(cells)
    (folder / "prices.csv").write_text("\n".join(prices) + "\n")
    return folder


def test_a_valid_upload_is_validated_and_changes_nothing(
    api: TestClient, people: People, engine: sa.Engine, demo_csv: Path
) -> None:
    people.add("ann", Role.demand_planner)
    answer = api.post(
        "/data/validate", files=upload("company.zip", zipped(demo_csv)), headers=people.as_("ann")
    )
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["rows"]["items"] == 30 and report["against_database"] is False
    assert rows(engine, "imports") == 0 and rows(engine, "items") == 0


def test_a_bad_upload_is_refused_naming_file_row_and_column_and_changes_nothing(
    api: TestClient, people: People, engine: sa.Engine, bad_package: Path
) -> None:
    people.add("ann", Role.demand_planner)
    for path in ("/data/validate", "/data/imports"):
        # a zip of the folder itself (package/prices.csv) is the same as one of its files
        files = upload("company.zip", zipped(bad_package, "package/"))
        answer = api.post(path, files=files, headers=people.as_("ann"))
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        problems = answer.json()["problems"]
        assert {"file": "prices.csv", "row": 3, "column": "price"} in [
            {k: p[k] for k in ("file", "row", "column")} for p in problems
        ], problems
    assert rows(engine, "imports") == 0 and rows(engine, "prices") == 0


def test_an_import_keeps_its_provenance_and_the_export_gives_the_package_back(
    api: TestClient, people: People, engine: sa.Engine, demo_csv: Path
) -> None:
    people.add("ann", Role.demand_planner)
    answer = api.post(
        "/data/imports", files=upload("company.zip", zipped(demo_csv)), headers=people.as_("ann")
    )
    assert answer.status_code == 201, answer.text
    report = answer.json()
    assert report["source"] == "upload company.zip" and report["format"] == "csv"
    assert report["counts"]["items"]["inserted"] == 30
    listed = api.get("/data/imports?limit=5", headers=people.as_("ann")).json()
    assert listed["total"] == 1
    entry = listed["items"][0]
    assert entry["id"] == report["import_id"] and entry["started_by"] == "ann"
    assert entry["content_hash"] == report["content_hash"] and entry["status"] == "done"
    assert entry["row_counts"]["items"]["inserted"] == 30

    exported = api.get("/data/export", headers=people.as_("ann"))
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        items = pd.read_csv(archive.open("items.csv"))
    assert sorted(items["code"]) == sorted(pd.read_csv(demo_csv / "items.csv")["code"])
    workbook = api.get("/data/export?format=xlsx", headers=people.as_("ann"))
    assert workbook.status_code == 200 and workbook.content[:2] == b"PK"

    again = api.post(  # the same package again changes nothing
        "/data/imports", files=upload("company.zip", zipped(demo_csv)), headers=people.as_("ann")
    )
    assert again.status_code == 201
    assert all(c["inserted"] == c["updated"] == 0 for c in again.json()["counts"].values())


def test_an_xlsx_workbook_is_uploaded_as_it_is(
    api: TestClient, people: People, engine: sa.Engine, demo_frames: dict[str, Any], tmp_path: Path
) -> None:
    from oneplan.datapack import package_schema, write_package

    path = tmp_path / "company.xlsx"
    write_package(demo_frames, path, format="xlsx", schema=package_schema())
    people.add("ann", Role.supply_planner)
    answer = api.post(
        "/data/imports", files=upload("company.xlsx", path.read_bytes()), headers=people.as_("ann")
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["format"] == "xlsx" and rows(engine, "items") == 30


def test_who_may_not_import_is_refused(
    api: TestClient, people: People, engine: sa.Engine, demo_csv: Path
) -> None:
    people.add("vic", Role.viewer)
    answer = api.post(
        "/data/imports", files=upload("company.zip", zipped(demo_csv)), headers=people.as_("vic")
    )
    assert answer.status_code == 403 and "import_data" in answer.json()["detail"]
    assert rows(engine, "imports") == 0


def test_a_scoped_reader_may_not_export_the_whole_company(
    api: TestClient, people: People, engine: sa.Engine, prepare: Any
) -> None:
    prepare.import_demo(engine)
    people.add("sam", Role.sales, families=frozenset({"HOS"}))
    answer = api.get("/data/export", headers=people.as_("sam"))
    assert answer.status_code == 403, answer.text
    assert "whole company" in answer.json()["detail"]


def test_an_upload_over_the_limit_is_refused_before_it_is_read(
    engine: sa.Engine, api_settings: Settings, people: People, demo_csv: Path
) -> None:
    people.add("ann", Role.demand_planner)
    small = api_settings.model_copy(update={"max_upload_bytes": 10_000})
    with TestClient(create_app(small, engine)) as client:
        answer = client.post(
            "/data/imports",
            files=upload("company.zip", zipped(demo_csv)),
            headers=people.as_("ann"),
        )
    assert answer.status_code == 413, answer.text
    problem = answer.json()["problems"][0]
    assert "10,000" in problem["message"] and "ONEPLAN_MAX_UPLOAD_BYTES" in problem["message"]
    assert rows(engine, "imports") == 0


@pytest.mark.parametrize(
    ("name", "members", "says"),
    [
        ("evil.zip", {"../items.csv": b"code\n"}, "points outside the package"),
        ("nested.zip", {"a/b/items.csv": b"code\n"}, "folder of its own"),
        ("empty.zip", {}, "empty zip archive"),
        ("notes.txt", None, "expected a .zip"),
        ("broken.zip", None, "not a readable zip archive"),
    ],
)
def test_an_upload_that_is_no_package_is_refused_by_name(
    api: TestClient, people: People, name: str, members: dict[str, bytes] | None, says: str
) -> None:
    people.add("ann", Role.demand_planner)
    content = b"just text"
    if members is not None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for member, data in members.items():
                archive.writestr(member, data)
        content = buffer.getvalue()
    answer = api.post("/data/validate", files=upload(name, content), headers=people.as_("ann"))
    assert answer.status_code == 422, answer.text
    problem = answer.json()["problems"][0]
    assert problem["file"].startswith(name) and says in problem["message"], problem
