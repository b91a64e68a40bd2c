"""The package schema is derived from SQLAlchemy metadata, following the model conventions."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from oneplan.datapack.schema import PROVENANCE_COLUMNS, ColumnSchema, package_schema


class Base(DeclarativeBase):
    pass


class Family(Base):
    __tablename__ = "families"
    __table_args__ = ({"info": {"package": True, "doc": "Product families."}},)
    code: Mapped[str] = mapped_column(sa.String(64), primary_key=True, comment="Family code")
    name: Mapped[str] = mapped_column(sa.Text, comment="Family name", info={"example": "Hoses"})
    created_by: Mapped[str] = mapped_column(sa.String(100))  # provenance


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (
        {
            "comment": "Sellable items.",
            "info": {"package": True, "ordered": [("launch_date", "end_date")]},
        },
    )
    code: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    family: Mapped[str] = mapped_column(sa.ForeignKey("families.code"))
    status: Mapped[str] = mapped_column(
        sa.String(20), info={"choices": ["active", "new"], "default": "active"}
    )
    weight: Mapped[float | None] = mapped_column(sa.Float, info={"gt": 0, "lt": 1000, "unit": "kg"})
    price: Mapped[float] = mapped_column(sa.Numeric(12, 2), info={"min": 0, "max": 1e6})
    pack_size: Mapped[int] = mapped_column(sa.BigInteger, info={"min": 1, "example": 12})
    launch_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    end_date: Mapped[dt.date | None] = mapped_column(sa.Date, info={"monthly": True})
    is_kit: Mapped[bool] = mapped_column(sa.Boolean)
    checked_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime)
    import_id: Mapped[int | None] = mapped_column(sa.Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(sa.DateTime)


class Audit(Base):  # not part of the package
    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(primary_key=True)


def test_only_package_tables_parents_first() -> None:
    schema = package_schema(Base.metadata)
    assert schema.table_names == ("families", "items")
    assert "audit" not in schema and "items" in schema
    with pytest.raises(KeyError):
        schema.table("audit")


def test_columns_carry_every_convention() -> None:
    items = package_schema(Base.metadata).table("items")
    assert items.doc == "Sellable items."  # the table comment when info has no doc
    assert items.key == ("code",)
    assert items.ordered == (("launch_date", "end_date"),)
    assert items.one_of == ()
    assert items.column_names == (
        "code",
        "family",
        "status",
        "weight",
        "price",
        "pack_size",
        "launch_date",
        "end_date",
        "is_kit",
        "checked_at",
    )
    assert not set(items.column_names) & set(PROVENANCE_COLUMNS)
    assert items.column("code") == ColumnSchema("code", "string", True, True, max_length=64)
    assert items.column("family").reference == ("families", "code")
    assert items.column("family").required
    status = items.column("status")
    assert (status.choices, status.default, status.max_length) == (("active", "new"), "active", 20)
    weight = items.column("weight")
    assert (weight.type, weight.required, weight.gt, weight.lt, weight.unit) == (
        "number",
        False,
        0.0,
        1000.0,
        "kg",
    )
    price = items.column("price")
    assert (price.type, price.min, price.max) == ("number", 0.0, 1e6)
    assert items.column("pack_size").type == "integer"
    assert items.column("pack_size").example == "12"
    assert items.column("end_date").monthly and not items.column("launch_date").monthly
    assert [items.column(c).type for c in ("launch_date", "is_kit", "checked_at")] == [
        "date",
        "boolean",
        "datetime",
    ]
    families = package_schema(Base.metadata).table("families")
    assert families.doc == "Product families."
    assert families.column("name") == ColumnSchema(
        "name", "string", True, False, doc="Family name", example="Hoses"
    )


def test_rules_must_name_real_columns_and_types_must_be_known() -> None:
    metadata = sa.MetaData()
    sa.Table(
        "events",
        metadata,
        sa.Column("code", sa.String, primary_key=True),
        info={"package": True, "one_of": [["item", "family"]]},
    )
    with pytest.raises(ValueError, match="unknown column item"):
        package_schema(metadata)
    metadata = sa.MetaData()
    sa.Table("blobs", metadata, sa.Column("data", sa.LargeBinary), info={"package": True})
    with pytest.raises(TypeError, match=r"blobs\.data"):
        package_schema(metadata)


def test_the_real_models_give_a_sound_schema() -> None:
    pytest.importorskip("oneplan.db.models")
    schema = package_schema()
    assert {"items", "sales_history", "demand_events", "item_costs"} <= set(schema.table_names)
    seen: set[str] = set()
    for table in schema.tables:
        assert table.key, f"{table.name} has no natural key"
        assert table.doc, f"{table.name} has no description"
        for col in table.columns:
            assert col.doc, f"{table.name}.{col.name} has no description"
            if col.reference:
                target, column = col.reference
                # parents come first, and references point at a key column
                assert target in seen or target == table.name
                assert schema.table(target).key == (column,)
        seen.add(table.name)
    sales = schema.table("sales_history")
    assert sales.key == ("item", "location", "period")
    assert schema.table("demand_events").one_of == (
        ("item", "family"),
        ("uplift_pct", "uplift_quantity"),
    )
    assert schema.table("launches").column("scale").gt == 0


def test_a_lost_sales_cost_may_be_left_empty() -> None:
    # Empty means the demand cannot be lost (only delivered late): it is a choice, not a gap.
    pytest.importorskip("oneplan.db.models")
    costs = package_schema().table("item_costs")
    assert not costs.column("lost_sales_cost").required
    assert costs.column("material_cost").required
