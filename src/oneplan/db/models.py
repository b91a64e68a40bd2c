"""The S&OP data model. These typed mappings are the one source of truth of the data package:
the package schema, its validation and its documentation are all derived from them
(see `oneplan.datapack.schema`). Natural keys (codes) are primary keys, as in ERP exports, so a
package row maps to exactly one database row and re-imports upsert by key.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from oneplan.db.base import (
    Base,
    Provenance,
    code,
    day,
    integer,
    month,
    number,
    package_table,
    ref,
    text,
)

LOCATION_KINDS = ["plant", "distribution_centre", "warehouse"]
LIFECYCLE = ["active", "new", "phase_out", "obsolete"]
RESOURCE_KINDS = ["machine", "labour", "supplier"]
CAPACITY_UOMS = ["hours", "units"]
POLICY_METHODS = ["service_level", "days_of_supply", "fixed"]
EVENT_KINDS = ["promotion", "one_time_event"]


class Import(Base):
    """One import of a data package: the provenance every package row points to."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(sa.String(1000), comment="Path or name of the package")
    format: Mapped[str] = mapped_column(sa.String(20), comment="csv, xlsx or parquet")
    content_hash: Mapped[str] = mapped_column(sa.String(64), comment="SHA-256 of the files read")
    status: Mapped[str] = mapped_column(
        sa.String(20), comment="done: a failed import rolls back whole and leaves no row"
    )
    started_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    started_by: Mapped[str] = mapped_column(sa.String(100))
    row_counts: Mapped[dict[str, dict[str, int]] | None] = mapped_column(
        sa.JSON, comment="Rows inserted and updated per table"
    )


class Parameter(Provenance, Base):
    __tablename__ = "parameters"
    __table_args__ = package_table(
        "Planning settings as name/value pairs: plan_start (first month of the plan), "
        "horizon_periods (months planned), currency, and others documented where used."
    )
    name: Mapped[str] = code("Setting name", example="plan_start")
    value: Mapped[str] = text("Setting value, as text", required=True, example="2027-01-01")


class Location(Provenance, Base):
    __tablename__ = "locations"
    __table_args__ = package_table("Plants, distribution centres and warehouses.")
    code: Mapped[str] = code("Location code", example="PL-NORTH")
    name: Mapped[str] = text("Location name", required=True, example="North plant")
    kind: Mapped[str] = text("What the location is", required=True, choices=LOCATION_KINDS)
    region: Mapped[str] = text("Sales or geographic region", required=True, example="EU-North")


class Family(Provenance, Base):
    __tablename__ = "families"
    __table_args__ = package_table(
        "Product families, the S&OP planning level, grouped in categories."
    )
    code: Mapped[str] = code("Family code", example="HOSES")
    name: Mapped[str] = text("Family name", required=True, example="Garden hoses")
    category: Mapped[str] = text("Category the family belongs to", required=True, example="Garden")


class Item(Provenance, Base):
    __tablename__ = "items"
    __table_args__ = package_table(
        "Sellable items (finished goods) with their place in the product hierarchy.",
        ordered=[["launch_date", "end_date"]],
    )
    code: Mapped[str] = code("Item code", example="HOS-0001")
    description: Mapped[str] = text("Item description", required=True, example="Hose 15 m")
    uom: Mapped[str] = text("Unit of measure", required=True, length=20, example="EA")
    family: Mapped[str] = ref("families.code", "Product family")
    lifecycle_status: Mapped[str] = text(
        "Lifecycle status", required=True, choices=LIFECYCLE, default="active"
    )
    launch_date: Mapped[date | None] = day("Date of first sale (new products)", required=False)
    end_date: Mapped[date | None] = day("Last date of sale (phase-outs)", required=False)
    like_item: Mapped[str | None] = ref(
        "items.code", "Existing item whose history a new item borrows", required=False
    )


class Launch(Provenance, Base):
    __tablename__ = "launches"
    __table_args__ = package_table(
        "New product introductions: how a new item's demand is derived from its like item."
    )
    item: Mapped[str] = ref("items.code", "The new item", key=True)
    like_item: Mapped[str] = ref("items.code", "The item whose demand pattern it follows")
    scale: Mapped[float] = number(
        "Share of the like item's demand at full volume", gt=0.0, min=None, default=1.0
    )
    ramp_up_periods: Mapped[int] = integer("Months from launch to full volume", default=0)


class Customer(Provenance, Base):
    __tablename__ = "customers"
    __table_args__ = package_table("Customers and the channel they buy through.")
    code: Mapped[str] = code("Customer code", example="C-001")
    name: Mapped[str] = text("Customer name", required=True)
    channel: Mapped[str] = text("Sales channel", required=True, example="retail")
    region: Mapped[str] = text("Region", required=True, example="EU-North")


class SalesHistory(Provenance, Base):
    __tablename__ = "sales_history"
    __table_args__ = package_table(
        "Actual sales (shipments or orders, consistently) per item, location and period. "
        "Monthly periods are the S&OP grain; weekly dates are accepted and bucketed into months."
    )
    item: Mapped[str] = ref("items.code", "Item sold", key=True)
    location: Mapped[str] = ref("locations.code", "Location that shipped", key=True)
    period: Mapped[date] = day("Start of the month (or week)", key=True, example="2026-03-01")
    quantity: Mapped[float] = number("Units sold", unit="units")
    revenue: Mapped[float | None] = number("Net revenue", required=False, unit="currency")


class Inventory(Provenance, Base):
    __tablename__ = "inventory"
    __table_args__ = package_table("Inventory on hand per item and location at a date.")
    item: Mapped[str] = ref("items.code", "Item", key=True)
    location: Mapped[str] = ref("locations.code", "Location", key=True)
    on_hand: Mapped[float] = number("Units on hand", unit="units")
    as_of: Mapped[date] = day("Date of the count", example="2026-12-31")


class CustomerOrder(Provenance, Base):
    __tablename__ = "customer_orders"
    __table_args__ = package_table(
        "Open customer order lines. Lines requested before the plan start are backlog."
    )
    order_line: Mapped[str] = code("Order and line number", example="SO-1001-1")
    customer: Mapped[str | None] = ref("customers.code", "Customer", required=False)
    item: Mapped[str] = ref("items.code", "Item ordered")
    location: Mapped[str] = ref("locations.code", "Shipping location")
    quantity: Mapped[float] = number("Open quantity", min=None, gt=0.0, unit="units")
    order_date: Mapped[date | None] = day("Date the order was taken", required=False)
    requested_date: Mapped[date] = day("Date the customer asked for")


class ProductionActual(Provenance, Base):
    __tablename__ = "production_actuals"
    __table_args__ = package_table(
        "Units actually produced per item, plant and month (for plan adherence)."
    )
    item: Mapped[str] = ref("items.code", "Item produced", key=True)
    location: Mapped[str] = ref("locations.code", "Plant", key=True)
    period: Mapped[date] = month("Month", key=True)
    quantity: Mapped[float] = number("Units produced", unit="units")


class Resource(Provenance, Base):
    __tablename__ = "resources"
    __table_args__ = package_table(
        "Machines, labour pools and suppliers whose capacity limits the supply plan."
    )
    code: Mapped[str] = code("Resource code", example="PRESS-2")
    name: Mapped[str] = text("Resource name", required=True)
    kind: Mapped[str] = text("Kind of resource", required=True, choices=RESOURCE_KINDS)
    location: Mapped[str] = ref("locations.code", "Where the resource is")
    capacity_uom: Mapped[str] = text(
        "Unit of capacity", required=True, choices=CAPACITY_UOMS, default="hours"
    )
    capacity_per_period: Mapped[float] = number(
        "Base capacity per month (machine or labour hours, or supplier units)",
        unit="per month",
    )
    overtime_per_period: Mapped[float] = number(
        "Extra machine hours per month available at overtime", default=0.0, unit="hours per month"
    )


class ResourceCapacity(Provenance, Base):
    __tablename__ = "resource_capacity"
    __table_args__ = package_table(
        "Capacity calendar: overrides a resource's base capacity in a month "
        "(holidays, shifts, maintenance). On a labour pool with a `workforce` row, the row is the "
        "hours its starting crew (headcount x hours_per_worker) gives that month: the plan reads "
        "it as the month's working time and gives every worker it plans that share of their "
        "regular hours and overtime limit (0 is a shutdown)."
    )
    resource: Mapped[str] = ref("resources.code", "Resource", key=True)
    period: Mapped[date] = month("Month", key=True)
    capacity: Mapped[float] = number("Capacity in that month", unit="per month")
    note: Mapped[str | None] = text("Why it differs", example="August holidays")


class Routing(Provenance, Base):
    __tablename__ = "routings"
    __table_args__ = package_table(
        "Bill of resources: what one unit of an item uses of each resource where it is made."
    )
    item: Mapped[str] = ref("items.code", "Item made", key=True)
    location: Mapped[str] = ref("locations.code", "Plant that makes it", key=True)
    resource: Mapped[str] = ref("resources.code", "Resource used", key=True)
    usage_per_unit: Mapped[float] = number(
        "Hours (machines, labour) or supplier units per unit made", min=None, gt=0.0
    )


class Lane(Provenance, Base):
    __tablename__ = "lanes"
    __table_args__ = package_table("Transfer lanes between locations.")
    from_location: Mapped[str] = ref("locations.code", "Shipping location", key=True)
    to_location: Mapped[str] = ref("locations.code", "Receiving location", key=True)
    lead_time_periods: Mapped[int] = integer("Months in transit")
    cost_per_unit: Mapped[float] = number("Transport cost per unit", default=0.0)


class Workforce(Provenance, Base):
    __tablename__ = "workforce"
    __table_args__ = package_table(
        "Workforce of each labour pool: its size, hours, wages and the cost of changing it."
    )
    resource: Mapped[str] = ref("resources.code", "The labour pool", key=True)
    headcount: Mapped[float] = number("Workers at the plan start")
    hours_per_worker: Mapped[float] = number("Regular hours per worker per month")
    regular_wage: Mapped[float] = number("Wage per regular hour")
    overtime_wage: Mapped[float] = number("Wage per overtime hour")
    overtime_limit_per_worker: Mapped[float] = number(
        "Most overtime hours per worker per month", default=0.0
    )
    hiring_cost: Mapped[float] = number("Cost of hiring one worker", default=0.0)
    layoff_cost: Mapped[float] = number("Cost of laying off one worker", default=0.0)
    min_headcount: Mapped[float | None] = number("Fewest workers allowed", required=False)
    max_headcount: Mapped[float | None] = number("Most workers allowed", required=False)


class ItemCost(Provenance, Base):
    __tablename__ = "item_costs"
    __table_args__ = package_table(
        "Standard costs per item and location, valid from a month until the next row of the same "
        "item and location."
    )
    item: Mapped[str] = ref("items.code", "Item", key=True)
    location: Mapped[str] = ref("locations.code", "Location", key=True)
    valid_from: Mapped[date] = month("First month the costs apply", key=True)
    material_cost: Mapped[float] = number("Standard material cost per unit")
    labour_cost: Mapped[float] = number("Standard labour cost per unit")
    overhead_cost: Mapped[float] = number("Standard overhead cost per unit")
    holding_cost: Mapped[float] = number("Cost of holding one unit for a month")
    backlog_cost: Mapped[float] = number("Cost of one unit delivered a month late")
    lost_sales_cost: Mapped[float | None] = number(
        "Cost of one unit of demand never served (empty: the demand cannot be lost, only "
        "delivered late)",
        required=False,
    )
    subcontract_cost: Mapped[float | None] = number(
        "Cost per subcontracted unit (empty: no subcontracting)", required=False
    )
    subcontract_limit: Mapped[float | None] = number(
        "Most units subcontracted per month (empty: no limit)", required=False
    )


class Price(Provenance, Base):
    __tablename__ = "prices"
    __table_args__ = package_table(
        "Selling prices per item and channel, valid from a month until the next row of the same "
        "item and channel. Channel `all` is the list price. Prices are gross: the plan is valued "
        "at price x (1 - rebate), where an empty rebate on a list price is the one the sales "
        "history realised on it (the item's, else its family's); another channel's price without "
        "a rebate is taken as what that channel pays."
    )
    item: Mapped[str] = ref("items.code", "Item", key=True)
    channel: Mapped[str] = mapped_column(
        sa.String(64),
        primary_key=True,
        comment="Sales channel, or `all` for the list price",
        info={"default": "all", "example": "all"},
    )
    valid_from: Mapped[date] = month("First month the price applies", key=True)
    price: Mapped[float] = number("Selling price per unit, before rebates and discounts")
    rebate: Mapped[float | None] = number(
        "Rebates and discounts expected on this price, as a share of it (empty: learnt from the "
        "sales history)",
        required=False,
        lt=1.0,
        example="0.06",
    )


class InventoryPolicy(Provenance, Base):
    __tablename__ = "inventory_policies"
    __table_args__ = package_table(
        "How much stock to hold per item and location, and limits on inventory and backlog.",
        ordered=[["min_inventory", "max_inventory"]],
    )
    item: Mapped[str] = ref("items.code", "Item", key=True)
    location: Mapped[str] = ref("locations.code", "Location", key=True)
    method: Mapped[str] = text(
        "Safety stock method", required=True, choices=POLICY_METHODS, default="service_level"
    )
    service_level: Mapped[float | None] = number(
        "Target cycle service level (service_level method)",
        required=False,
        min=None,
        gt=0.0,
        lt=1.0,
        example="0.95",
    )
    days_of_supply: Mapped[float | None] = number(
        "Safety stock in days of forward demand (days_of_supply method)", required=False
    )
    safety_stock: Mapped[float | None] = number(
        "Safety stock in units (fixed method)", required=False
    )
    min_inventory: Mapped[float | None] = number("Least inventory allowed", required=False)
    max_inventory: Mapped[float | None] = number("Most inventory allowed", required=False)
    lead_time_periods: Mapped[float | None] = number(
        "Replenishment lead time in months", required=False
    )
    max_backlog_periods: Mapped[int | None] = integer(
        "Longest a customer may wait, in months", required=False
    )
    ending_inventory: Mapped[float | None] = number(
        "Inventory wanted at the end of the horizon", required=False
    )


class Budget(Provenance, Base):
    __tablename__ = "budgets"
    __table_args__ = package_table("The financial budget per family and month.")
    family: Mapped[str] = ref("families.code", "Product family", key=True)
    period: Mapped[date] = month("Month", key=True)
    volume: Mapped[float] = number("Budgeted units")
    revenue: Mapped[float] = number("Budgeted revenue")
    margin: Mapped[float] = number("Budgeted gross margin", min=None)


class DemandEvent(Provenance, Base):
    __tablename__ = "demand_events"
    __table_args__ = package_table(
        "Promotions and one-time events. Past events mark history the baseline must not learn; "
        "future events add their uplift to the plan.",
        one_of=[["item", "family"], ["uplift_pct", "uplift_quantity"]],
        ordered=[["start_period", "end_period"]],
    )
    code: Mapped[str] = code("Event code", example="PROMO-2027-05")
    kind: Mapped[str] = text("Kind of event", required=True, choices=EVENT_KINDS)
    item: Mapped[str | None] = ref("items.code", "Item concerned", required=False)
    family: Mapped[str | None] = ref("families.code", "Family concerned", required=False)
    location: Mapped[str | None] = ref(
        "locations.code", "Location concerned (empty: all)", required=False
    )
    start_period: Mapped[date] = month("First month")
    end_period: Mapped[date] = month("Last month")
    uplift_pct: Mapped[float | None] = number(
        "Uplift in percent of the baseline", required=False, min=-100.0, example="25"
    )
    uplift_quantity: Mapped[float | None] = number(
        "Uplift in units over the whole event", required=False, min=None
    )
    description: Mapped[str | None] = text("What the event is")


class Demand(Provenance, Base):
    __tablename__ = "demand"
    __table_args__ = package_table(
        "An external demand plan per item, location and month; lets the supply plan run on a "
        "package without the demand step."
    )
    item: Mapped[str] = ref("items.code", "Item", key=True)
    location: Mapped[str] = ref("locations.code", "Location", key=True)
    period: Mapped[date] = month("Month", key=True)
    quantity: Mapped[float] = number("Units demanded")


PACKAGE_MODELS: tuple[type[Base], ...] = (
    Parameter,
    Location,
    Family,
    Item,
    Launch,
    Customer,
    SalesHistory,
    Inventory,
    CustomerOrder,
    ProductionActual,
    Resource,
    ResourceCapacity,
    Routing,
    Lane,
    Workforce,
    ItemCost,
    Price,
    InventoryPolicy,
    Budget,
    DemandEvent,
    Demand,
)


def _add_checks(metadata: sa.MetaData) -> None:
    """Mirror each package column's bounds and choices as CHECK constraints, so the database
    refuses what validation refuses even when rows arrive another way."""
    ops = {"min": ">=", "gt": ">", "max": "<=", "lt": "<"}
    for table in metadata.tables.values():
        if not table.info.get("package"):
            continue
        for column in table.columns:
            clauses = [
                f"{column.name} {op} {column.info[key]!r}"
                for key, op in ops.items()
                if key in column.info
            ]
            if "choices" in column.info:
                allowed = ", ".join(f"'{c}'" for c in column.info["choices"])
                clauses.append(f"{column.name} IN ({allowed})")
            if clauses:
                table.append_constraint(
                    sa.CheckConstraint(" AND ".join(clauses), name=f"{column.name}_valid")
                )


_add_checks(Base.metadata)

# Plan versions live in their own module; importing it here registers them on Base.metadata.
from oneplan.db import audit as _audit  # noqa: E402, F401
from oneplan.db import comments as _comments  # noqa: E402, F401
from oneplan.db import cycles as _cycles  # noqa: E402, F401
from oneplan.db import demand as _demand  # noqa: E402, F401
from oneplan.db import jobs as _jobs  # noqa: E402, F401
from oneplan.db import plans as _plans  # noqa: E402, F401
from oneplan.db import scenarios as _scenarios  # noqa: E402, F401
from oneplan.db import users as _users  # noqa: E402, F401
