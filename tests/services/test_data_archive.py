"""A data package as one uploaded file: unpacked safely, checked before anything changes, its
import listed with provenance; and the database's package packed for download."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from tests.web.packages import with_bad_items, zipped

from oneplan.config import Settings
from oneplan.db.session import unit_of_work
from oneplan.errors import PermissionDenied, ValidationFailed
from oneplan.services.actor import Actor
from oneplan.services.data.archive import check_upload, package_archive, read_upload
from oneplan.services.data.history import list_imports
from oneplan.services.data.service import import_package
from oneplan.services.permissions import Grant, Role

SETTINGS = Settings(database_url="sqlite://")


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _problems(error: pytest.ExceptionInfo[ValidationFailed]) -> list[tuple[Any, ...]]:
    return [(p.file, p.row, p.column) for p in error.value.problems]


def test_a_bad_upload_names_each_problem_by_file_row_and_column(
    engine: sa.Engine, demo_csv: Path, actor: Actor
) -> None:
    files = read_upload("june.zip", with_bad_items(demo_csv), SETTINGS)
    with pytest.raises(ValidationFailed) as error, unit_of_work(engine) as session:
        check_upload(session, actor, files)
    assert ("items.csv", 3, "uom") in _problems(error)
    assert ("items.csv", 4, "lifecycle_status") in _problems(error)


def test_a_good_upload_imports_with_its_name_as_provenance(
    engine: sa.Engine, demo_csv: Path, actor: Actor
) -> None:
    files = read_upload("june.zip", zipped(demo_csv), SETTINGS)
    with unit_of_work(engine) as session:
        report = check_upload(session, actor, files)
        assert report.rows["items"] == 30
        import_package(session, actor, files)
    with unit_of_work(engine, write=False) as session:
        (done,) = list_imports(session, Actor("vic", frozenset({Grant(Role.viewer)})))
    assert (done.source, done.format, done.started_by) == ("upload june.zip", "csv", "tester")
    assert done.tables["items"]["inserted"] == 30 and done.inserted > 30


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("plan.pdf", b"%PDF-1.7", "expected a .zip"),
        ("plan.zip", b"not a zip", "zip"),
        ("plan.zip", _zip({"../items.csv": b"code\n"}), "outside"),
        ("plan.zip", _zip({"a/b/items.csv": b"code\n", "a/c.csv": b"x\n"}), "folder"),
        ("plan.zip", _zip({}), "no"),
    ],
)
def test_an_upload_that_is_no_package_is_refused_by_name(
    name: str, content: bytes, message: str
) -> None:
    with pytest.raises(ValidationFailed, match=message) as error:
        read_upload(name, content, SETTINGS)
    assert error.value.problems[0].file.startswith(name)


def test_an_upload_over_the_limit_is_refused_before_it_is_opened() -> None:
    small = Settings(database_url="sqlite://", max_upload_bytes=1024 * 1024)
    with pytest.raises(ValidationFailed, match="ONEPLAN_MAX_UPLOAD_BYTES"):
        read_upload("big.xlsx", b"x" * (1024 * 1024 + 1), small)


def test_the_package_downloads_as_a_zip_but_not_for_a_scoped_grant(
    engine: sa.Engine, prepare: Any, actor: Actor
) -> None:
    prepare.import_demo(engine)
    scoped = Actor("hal", frozenset({Grant(Role.viewer, families=frozenset({"HOS"}))}))
    with unit_of_work(engine, write=False) as session:
        name, content = package_archive(session, actor)
        with pytest.raises(PermissionDenied):
            package_archive(session, scoped)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert "oneplan-package/items.csv" in archive.namelist()
    assert name == "oneplan-package.zip"
    again = read_upload(name, content, SETTINGS)
    assert len(again.raw.tables["items"].frame) == 30


@pytest.mark.parametrize("fmt", ["xlsx", "parquet"])
def test_a_workbook_and_a_zip_of_parquet_files_read_back(
    engine: sa.Engine, prepare: Any, actor: Actor, fmt: str
) -> None:
    prepare.import_demo(engine)
    with unit_of_work(engine, write=False) as session:
        name, content = package_archive(session, actor, fmt)
        files = read_upload(name, content, SETTINGS)
        report = check_upload(session, actor, files)
    assert (files.format, report.rows["items"], report.against_database) == (fmt, 30, True)
