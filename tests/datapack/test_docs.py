"""The published docs are generated from the schema: markdown for people, a descriptor for tools."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oneplan.datapack.docs import frictionless_descriptor, render_markdown, write_docs
from oneplan.datapack.schema import ColumnSchema, PackageSchema, TableSchema

SCHEMA = PackageSchema(
    (
        TableSchema(
            "items",
            "Sellable items | finished goods.",
            (
                ColumnSchema(
                    "code", "string", True, True, doc="Item code", example="HOS-1", max_length=64
                ),
                ColumnSchema(
                    "like_item", "string", reference=("items", "code"), doc="Borrowed history"
                ),
                ColumnSchema("status", "string", True, choices=("active", "new"), default="active"),
            ),
            ("code",),
        ),
        TableSchema(
            "events",
            "Promotions.",
            (
                ColumnSchema("code", "string", True, True),
                ColumnSchema("item", "string", reference=("items", "code")),
                ColumnSchema("family", "string"),
                ColumnSchema("start_period", "date", True, monthly=True),
                ColumnSchema("end_period", "date", True, monthly=True),
                ColumnSchema("uplift", "number", gt=0, lt=5, unit="share"),
                ColumnSchema("days", "integer", min=0, max=31),
                ColumnSchema("active", "boolean", True, default=True),
            ),
            ("code",),
            one_of=(("item", "family"),),
            ordered=(("start_period", "end_period"),),
        ),
    )
)


def test_markdown_has_the_rules_and_every_table() -> None:
    text = render_markdown(SCHEMA)
    for phrase in (
        "folder of CSV files",
        "Parquet",
        "xlsx workbook",
        "UTF-8",
        "YYYY-MM-DD",
        "`2027-03` is accepted",
        "upsert by natural key",
        "all or nothing",
        "`'=SUM(A1)`",
        "`''quoted`",
    ):
        assert phrase in text, phrase
    assert text.index("### items") < text.index("### events")
    assert "Sellable items \\| finished goods." in text
    assert "- Key: `code`." in text
    assert "- References: `like_item` -> `items`." in text
    assert "- Exactly one of `item`, `family` per row." in text
    assert "- `end_period` may not come before `start_period`." in text
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert rows[0] == (
        "| `code` | string | yes | key; at most 64 characters |  |  | Item code | `HOS-1` |"
    )
    assert rows[2] == "| `status` | string | yes | one of `active`, `new` | `active` |  |  |  |"
    assert "| `start_period` | date (month start) | yes |" in text
    assert "| `uplift` | number |  | > 0; < 5 |  | share |" in text
    assert "| `days` | integer |  | >= 0; <= 31 |" in text
    assert "| `active` | boolean | yes |  | `true` |" in text
    assert len(rows) == 3 + 8


def test_the_descriptor_is_a_frictionless_tabular_package() -> None:
    descriptor = frictionless_descriptor(SCHEMA)
    assert descriptor["profile"] == "tabular-data-package"
    items, events = descriptor["resources"]
    assert (items["name"], items["path"], items["encoding"]) == ("items", "items.csv", "utf-8")
    assert items["schema"]["primaryKey"] == ["code"]
    assert items["schema"]["missingValues"] == [""]
    # a reference to the same resource is spelt "" in Table Schema
    assert items["schema"]["foreignKeys"] == [
        {"fields": "like_item", "reference": {"resource": "", "fields": "code"}}
    ]
    assert events["schema"]["foreignKeys"] == [
        {"fields": "item", "reference": {"resource": "items", "fields": "code"}}
    ]
    fields = {f["name"]: f for f in events["schema"]["fields"]}
    assert fields["code"]["constraints"] == {"required": True}
    assert fields["uplift"]["constraints"] == {"exclusiveMinimum": 0, "exclusiveMaximum": 5}
    assert fields["days"]["constraints"] == {"minimum": 0, "maximum": 31}
    assert "constraints" not in fields["active"]  # a default makes the cell optional
    assert fields["active"]["trueValues"] == ["true", "yes", "1"]
    assert "First day of a month" in fields["start_period"]["description"]
    status = {f["name"]: f for f in items["schema"]["fields"]}["status"]
    assert status["constraints"] == {"enum": ["active", "new"]}
    code = {f["name"]: f for f in items["schema"]["fields"]}["code"]
    assert code["constraints"] == {"required": True, "maxLength": 64}
    assert code["example"] == "HOS-1"
    json.dumps(descriptor)  # plain JSON all the way down


def test_write_docs_writes_both_files(tmp_path: Path) -> None:
    paths = write_docs(tmp_path / "docs", SCHEMA)
    assert [p.name for p in paths] == ["data-package.md", "datapackage.json"]
    assert paths[0].read_text(encoding="utf-8") == render_markdown(SCHEMA)
    assert json.loads(paths[1].read_text(encoding="utf-8")) == frictionless_descriptor(SCHEMA)


def test_docs_of_the_real_models() -> None:
    pytest.importorskip("oneplan.db.models")
    text = render_markdown()
    descriptor = frictionless_descriptor()
    names = [r["name"] for r in descriptor["resources"]]
    assert "sales_history" in names and "demand_events" in names
    for name in names:
        assert f"### {name}\n" in text
