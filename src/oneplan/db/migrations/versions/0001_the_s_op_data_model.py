"""the S&OP data model

Revision ID: 0001
Revises:
Create Date: 2026-11-22 04:22:02.030172
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column(
            "source", sa.String(length=1000), nullable=False, comment="Path or name of the package"
        ),
        sa.Column("format", sa.String(length=20), nullable=False, comment="csv, xlsx or parquet"),
        sa.Column(
            "content_hash",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 of the files read",
        ),
        sa.Column(
            "status",
            sa.String(length=20),
            nullable=False,
            comment="done: a failed import rolls back whole and leaves no row",
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_by", sa.String(length=100), nullable=False),
        sa.Column(
            "row_counts", sa.JSON(), nullable=True, comment="Rows inserted and updated per table"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imports")),
    )
    op.create_table(
        "customers",
        sa.Column("code", sa.String(length=64), nullable=False, comment="Customer code"),
        sa.Column("name", sa.String(length=200), nullable=False, comment="Customer name"),
        sa.Column("channel", sa.String(length=200), nullable=False, comment="Sales channel"),
        sa.Column("region", sa.String(length=200), nullable=False, comment="Region"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column(
            "import_id", sa.Integer(), nullable=True, comment="The import that wrote the row last"
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_customers_import_id_imports")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_customers")),
    )
    op.create_table(
        "families",
        sa.Column("code", sa.String(length=64), nullable=False, comment="Family code"),
        sa.Column("name", sa.String(length=200), nullable=False, comment="Family name"),
        sa.Column(
            "category",
            sa.String(length=200),
            nullable=False,
            comment="Category the family belongs to",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column(
            "import_id", sa.Integer(), nullable=True, comment="The import that wrote the row last"
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_families_import_id_imports")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_families")),
    )
    op.create_table(
        "locations",
        sa.Column("code", sa.String(length=64), nullable=False, comment="Location code"),
        sa.Column("name", sa.String(length=200), nullable=False, comment="Location name"),
        sa.Column("kind", sa.String(length=200), nullable=False, comment="What the location is"),
        sa.Column(
            "region", sa.String(length=200), nullable=False, comment="Sales or geographic region"
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column(
            "import_id", sa.Integer(), nullable=True, comment="The import that wrote the row last"
        ),
        sa.CheckConstraint(
            "kind IN ('plant', 'distribution_centre', 'warehouse')",
            name=op.f("ck_locations_kind_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_locations_import_id_imports")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_locations")),
    )
    op.create_table(
        "parameters",
        sa.Column("name", sa.String(length=64), nullable=False, comment="Setting name"),
        sa.Column("value", sa.String(length=200), nullable=False, comment="Setting value, as text"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column(
            "import_id", sa.Integer(), nullable=True, comment="The import that wrote the row last"
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_parameters_import_id_imports")
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_parameters")),
    )
    op.create_table(
        "budgets",
        sa.Column("family", sa.String(length=64), nullable=False, comment="Product family"),
        sa.Column("period", sa.Date(), nullable=False, comment="Month"),
        sa.Column("volume", sa.Float(), nullable=False, comment="Budgeted units"),
        sa.Column("revenue", sa.Float(), nullable=False, comment="Budgeted revenue"),
        sa.Column("margin", sa.Float(), nullable=False, comment="Budgeted gross margin"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column(
            "import_id", sa.Integer(), nullable=True, comment="The import that wrote the row last"
        ),
        sa.CheckConstraint("revenue >= 0.0", name=op.f("ck_budgets_revenue_valid")),
        sa.CheckConstraint("volume >= 0.0", name=op.f("ck_budgets_volume_valid")),
        sa.ForeignKeyConstraint(
            ["family"], ["families.code"], name=op.f("fk_budgets_family_families")
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_budgets_import_id_imports")
        ),
        sa.PrimaryKeyConstraint("family", "period", name=op.f("pk_budgets")),
    )
    op.create_table(
        "items",
        sa.Column("code", sa.String(length=64), nullable=False, comment="Item code"),
        sa.Column("description", sa.String(length=200), nullable=False, comment="Item description"),
        sa.Column("uom", sa.String(length=20), nullable=False, comment="Unit of measure"),
        sa.Column("family", sa.String(length=64), nullable=False, comment="Product family"),
        sa.Column(
            "lifecycle_status", sa.String(length=200), nullable=False, comment="Lifecycle status"
        ),
        sa.Column(
            "launch_date", sa.Date(), nullable=True, comment="Date of first sale (new products)"
        ),
        sa.Column("end_date", sa.Date(), nullable=True, comment="Last date of sale (phase-outs)"),
        sa.Column(
            "like_item",
            sa.String(length=64),
            nullable=True,
            comment="Existing item whose history a new item borrows",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column(
            "import_id", sa.Integer(), nullable=True, comment="The import that wrote the row last"
        ),
        sa.CheckConstraint(
            "lifecycle_status IN ('active', 'new', 'phase_out', 'obsolete')",
            name=op.f("ck_items_lifecycle_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["family"], ["families.code"], name=op.f("fk_items_family_families")
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_items_import_id_imports")
        ),
        sa.ForeignKeyConstraint(
            ["like_item"], ["items.code"], name=op.f("fk_items_like_item_items")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_items")),
    )
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_items_family"), ["family"], unique=False)
        batch_op.create_index(batch_op.f("ix_items_like_item"), ["like_item"], unique=False)

    op.create_table(
        "lanes",
        sa.Column(
            "from_location", sa.String(length=64), nullable=False, comment="Shipping location"
        ),
        sa.Column(
            "to_location", sa.String(length=64), nullable=False, comment="Receiving location"
        ),
        sa.Column("lead_time_periods", sa.Integer(), nullable=False, comment="Months in transit"),
        sa.Column("cost_per_unit", sa.Float(), nullable=False, comment="Transport cost per unit"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column(
            "import_id", sa.Integer(), nullable=True, comment="The import that wrote the row last"
        ),
        sa.CheckConstraint("cost_per_unit >= 0.0", name=op.f("ck_lanes_cost_per_unit_valid")),
        sa.CheckConstraint("lead_time_periods >= 0", name=op.f("ck_lanes_lead_time_periods_valid")),
        sa.ForeignKeyConstraint(
            ["from_location"], ["locations.code"], name=op.f("fk_lanes_from_location_locations")
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_lanes_import_id_imports")
        ),
        sa.ForeignKeyConstraint(
            ["to_location"], ["locations.code"], name=op.f("fk_lanes_to_location_locations")
        ),
        sa.PrimaryKeyConstraint("from_location", "to_location", name=op.f("pk_lanes")),
    )
    op.create_table(
        "resources",
        sa.Column("code", sa.String(length=64), nullable=False, comment="Resource code"),
        sa.Column("name", sa.String(length=200), nullable=False, comment="Resource name"),
        sa.Column("kind", sa.String(length=200), nullable=False, comment="Kind of resource"),
        sa.Column(
            "location", sa.String(length=64), nullable=False, comment="Where the resource is"
        ),
        sa.Column(
            "capacity_uom", sa.String(length=200), nullable=False, comment="Unit of capacity"
        ),
        sa.Column(
            "capacity_per_period",
            sa.Float(),
            nullable=False,
            comment="Base capacity per month (machine or labour hours, or supplier units)",
        ),
        sa.Column(
            "overtime_per_period",
            sa.Float(),
            nullable=False,
            comment="Extra machine hours per month available at overtime",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column(
            "import_id", sa.Integer(), nullable=True, comment="The import that wrote the row last"
        ),
        sa.CheckConstraint(
            "capacity_uom IN ('hours', 'units')", name=op.f("ck_resources_capacity_uom_valid")
        ),
        sa.CheckConstraint(
            "kind IN ('machine', 'labour', 'supplier')", name=op.f("ck_resources_kind_valid")
        ),
        sa.CheckConstraint(
            "capacity_per_period >= 0.0", name=op.f("ck_resources_capacity_per_period_valid")
        ),
        sa.CheckConstraint(
            "overtime_per_period >= 0.0", name=op.f("ck_resources_overtime_per_period_valid")
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_resources_import_id_imports")
        ),
        sa.ForeignKeyConstraint(
            ["location"], ["locations.code"], name=op.f("fk_resources_location_locations")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_resources")),
    )
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resources_location"), ["location"], unique=False)

    op.create_table(
        "customer_orders",
        sa.Column(
            "order_line", sa.String(length=64), nullable=False, comment="Order and line number"
        ),
        sa.Column("customer", sa.String(length=64), nullable=True, comment="Customer"),
        sa.Column("item", sa.String(length=64), nullable=False, comment="Item ordered"),
        sa.Column("location", sa.String(length=64), nullable=False, comment="Shipping location"),
        sa.Column("quantity", sa.Float(), nullable=False, comment="Open quantity"),
        sa.Column("order_date", sa.Date(), nullable=True, comment="Date the order was taken"),
        sa.Column(
            "requested_date", sa.Date(), nullable=False, comment="Date the customer asked for"
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column(
            "import_id", sa.Integer(), nullable=True, comment="The import that wrote the row last"
        ),
        sa.CheckConstraint("quantity > 0.0", name=op.f("ck_customer_orders_quantity_valid")),
        sa.ForeignKeyConstraint(
            ["customer"], ["customers.code"], name=op.f("fk_customer_orders_customer_customers")
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_customer_orders_import_id_imports")
        ),
        sa.ForeignKeyConstraint(
            ["item"], ["items.code"], name=op.f("fk_customer_orders_item_items")
        ),
        sa.ForeignKeyConstraint(
            ["location"], ["locations.code"], name=op.f("fk_customer_orders_location_locations")
        ),
        sa.PrimaryKeyConstraint("order_line", name=op.f("pk_customer_orders")),
    )
    with op.batch_alter_table("customer_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_orders_customer"), ["customer"], unique=False)
        batch_op.create_index(batch_op.f("ix_customer_orders_item"), ["item"], unique=False)
        batch_op.create_index(batch_op.f("ix_customer_orders_location"), ["location"], unique=False)

    op.create_table(
        "demand",
        sa.Column("item", sa.String(length=64), nullable=False, comment="Item"),
        sa.Column("location", sa.String(length=64), nullable=False, comment="Location"),
        sa.Column("period", sa.Date(), nullable=False, comment="Month"),
        sa.Column("quantity", sa.Float(), nullable=False, comment="Units demanded"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column(
            "import_id", sa.Integer(), nullable=True, comment="The import that wrote the row last"
        ),
        sa.CheckConstraint("quantity >= 0.0", name=op.f("ck_demand_quantity_valid")),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_demand_import_id_imports")
        ),
        sa.ForeignKeyConstraint(["item"], ["items.code"], name=op.f("fk_demand_item_items")),
        sa.ForeignKeyConstraint(
            ["location"], ["locations.code"], name=op.f("fk_demand_location_locations")
        ),
        sa.PrimaryKeyConstraint("item", "location", "period", name=op.f("pk_demand")),
    )
    op.create_table(
        "demand_events",
        sa.Column("code", sa.String(length=64), nullable=False, comment="Event code"),
        sa.Column("kind", sa.String(length=200), nullable=False, comment="Kind of event"),
        sa.Column("item", sa.String(length=64), nullable=True, comment="Item concerned"),
        sa.Column("family", sa.String(length=64), nullable=True, comment="Family concerned"),
        sa.Column(
            "location",
            sa.String(length=64),
            nullable=True,
            comment="Location concerned (empty: all)",
        ),
        sa.Column("start_period", sa.Date(), nullable=False, comment="First month"),
        sa.Column("end_period", sa.Date(), nullable=False, comment="Last month"),
        sa.Column(
            "uplift_pct", sa.Float(), nullable=True, comment="Uplift in percent of the baseline"
        ),
        sa.Column(
            "uplift_quantity",
            sa.Float(),
            nullable=True,
            comment="Uplift in units over the whole event",
        ),
        sa.Column("description", sa.String(length=200), nullable=True, comment="What the event is"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column(
            "import_id", sa.Integer(), nullable=True, comment="The import that wrote the row last"
        ),
        sa.CheckConstraint(
            "kind IN ('promotion', 'one_time_event')", name=op.f("ck_demand_events_kind_valid")
        ),
        sa.CheckConstraint("uplift_pct >= -100.0", name=op.f("ck_demand_events_uplift_pct_valid")),
        sa.ForeignKeyConstraint(
            ["family"], ["families.code"], name=op.f("fk_demand_events_family_families")
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_demand_events_import_id_imports")
        ),
        sa.ForeignKeyConstraint(["item"], ["items.code"], name=op.f("fk_demand_events_item_items")),
        sa.ForeignKeyConstraint(
            ["location"], ["locations.code"], name=op.f("fk_demand_events_location_locations")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_demand_events")),
    )
    with op.batch_alter_table("demand_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_demand_events_family"), ["family"], unique=False)
        batch_op.create_index(batch_op.f("ix_demand_events_item"), ["item"], unique=False)
        batch_op.create_index(batch_op.f("ix_demand_events_location"), ["location"], unique=False)

    op.create_table(
        "inventory",
        sa.Column("item", sa.String(length=64), nullable=False, comment="Item"),
        sa.Column("location", sa.String(length=64), nullable=False, comment="Location"),
        sa.Column("on_hand", sa.Float(), nullable=False, comment="Units on hand"),
        sa.Column("as_of", sa.Date(), nullable=False, comment="Date of the count"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column(
            "import_id", sa.Integer(), nullable=True, comment="The import that wrote the row last"
        ),
        sa.CheckConstraint("on_hand >= 0.0", name=op.f("ck_inventory_on_hand_valid")),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_inventory_import_id_imports")
        ),
        sa.ForeignKeyConstraint(["item"], ["items.code"], name=op.f("fk_inventory_item_items")),
        sa.ForeignKeyConstraint(
            ["location"], ["locations.code"], name=op.f("fk_inventory_location_locations")
        ),
        sa.PrimaryKeyConstraint("item", "location", name=op.f("pk_inventory")),
    )
    op.create_table(
        "inventory_policies",
        sa.Column("item", sa.String(length=64), nullable=False, comment="Item"),
        sa.Column("location", sa.String(length=64), nullable=False, comment="Location"),
        sa.Column("method", sa.String(length=200), nullable=False, comment="Safety stock method"),
        sa.Column(
            "service_level",
            sa.Float(),
            nullable=True,
            comment="Target cycle service level (service_level method)",
        ),
        sa.Column(
            "days_of_supply",
            sa.Float(),
            nullable=True,
            comment="Safety stock in days of forward demand (days_of_supply method)",
        ),
        sa.Column(
            "safety_stock",
            sa.Float(),
            nullable=True,
            comment="Safety stock in units (fixed method)",
        ),
        sa.Column("min_inventory", sa.Float(), nullable=True, comment="Least inventory allowed"),
        sa.Column("max_inventory", sa.Float(), nullable=True, comment="Most inventory allowed"),
        sa.Column(
            "lead_time_periods",
            sa.Float(),
            nullable=True,
            comment="Replenishment lead time in months",
        ),
        sa.Column(
            "max_backlog_periods",
            sa.Integer(),
            nullable=True,
            comment="Longest a customer may wait, in months",
        ),
        sa.Column(
            "ending_inventory",
            sa.Float(),
            nullable=True,
            comment="Inventory wanted at the end of the horizon",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column(
            "import_id", sa.Integer(), nullable=True, comment="The import that wrote the row last"
        ),
        sa.CheckConstraint(
            "method IN ('service_level', 'days_of_supply', 'fixed')",
            name=op.f("ck_inventory_policies_method_valid"),
        ),
        sa.CheckConstraint(
            "days_of_supply >= 0.0", name=op.f("ck_inventory_policies_days_of_supply_valid")
        ),
        sa.CheckConstraint(
            "ending_inventory >= 0.0", name=op.f("ck_inventory_policies_ending_inventory_valid")
        ),
        sa.CheckConstraint(
            "lead_time_periods >= 0.0", name=op.f("ck_inventory_policies_lead_time_periods_valid")
        ),
        sa.CheckConstraint(
            "max_backlog_periods >= 0", name=op.f("ck_inventory_policies_max_backlog_periods_valid")
        ),
        sa.CheckConstraint(
            "max_inventory >= 0.0", name=op.f("ck_inventory_policies_max_inventory_valid")
        ),
        sa.CheckConstraint(
            "min_inventory >= 0.0", name=op.f("ck_inventory_policies_min_inventory_valid")
        ),
        sa.CheckConstraint(
            "safety_stock >= 0.0", name=op.f("ck_inventory_policies_safety_stock_valid")
        ),
        sa.CheckConstraint(
            "service_level > 0.0 AND service_level < 1.0",
            name=op.f("ck_inventory_policies_service_level_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_inventory_policies_import_id_imports")
        ),
        sa.ForeignKeyConstraint(
            ["item"], ["items.code"], name=op.f("fk_inventory_policies_item_items")
        ),
        sa.ForeignKeyConstraint(
            ["location"], ["locations.code"], name=op.f("fk_inventory_policies_location_locations")
        ),
        sa.PrimaryKeyConstraint("item", "location", name=op.f("pk_inventory_policies")),
    )
    op.create_table(
        "item_costs",
        sa.Column("item", sa.String(length=64), nullable=False, comment="Item"),
        sa.Column("location", sa.String(length=64), nullable=False, comment="Location"),
        sa.Column("valid_from", sa.Date(), nullable=False, comment="First month the costs apply"),
        sa.Column(
            "material_cost", sa.Float(), nullable=False, comment="Standard material cost per unit"
        ),
        sa.Column(
            "labour_cost", sa.Float(), nullable=False, comment="Standard labour cost per unit"
        ),
        sa.Column(
            "overhead_cost", sa.Float(), nullable=False, comment="Standard overhead cost per unit"
        ),
        sa.Column(
            "holding_cost",
            sa.Float(),
            nullable=False,
            comment="Cost of holding one unit for a month",
        ),
        sa.Column(
            "backlog_cost",
            sa.Float(),
            nullable=False,
            comment="Cost of one unit delivered a month late",
        ),
        sa.Column(
            "lost_sales_cost",
            sa.Float(),
            nullable=False,
            comment="Cost of one unit of demand never served",
        ),
        sa.Column(
            "subcontract_cost",
            sa.Float(),
            nullable=True,
            comment="Cost per subcontracted unit (empty: no subcontracting)",
        ),
        sa.Column(
            "subcontract_limit",
            sa.Float(),
            nullable=True,
            comment="Most units subcontracted per month (empty: no limit)",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column(
            "import_id", sa.Integer(), nullable=True, comment="The import that wrote the row last"
        ),
        sa.CheckConstraint("backlog_cost >= 0.0", name=op.f("ck_item_costs_backlog_cost_valid")),
        sa.CheckConstraint("holding_cost >= 0.0", name=op.f("ck_item_costs_holding_cost_valid")),
        sa.CheckConstraint("labour_cost >= 0.0", name=op.f("ck_item_costs_labour_cost_valid")),
        sa.CheckConstraint(
            "lost_sales_cost >= 0.0", name=op.f("ck_item_costs_lost_sales_cost_valid")
        ),
        sa.CheckConstraint("material_cost >= 0.0", name=op.f("ck_item_costs_material_cost_valid")),
        sa.CheckConstraint("overhead_cost >= 0.0", name=op.f("ck_item_costs_overhead_cost_valid")),
        sa.CheckConstraint(
            "subcontract_cost >= 0.0", name=op.f("ck_item_costs_subcontract_cost_valid")
        ),
        sa.CheckConstraint(
            "subcontract_limit >= 0.0", name=op.f("ck_item_costs_subcontract_limit_valid")
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_item_costs_import_id_imports")
        ),
        sa.ForeignKeyConstraint(["item"], ["items.code"], name=op.f("fk_item_costs_item_items")),
        sa.ForeignKeyConstraint(
            ["location"], ["locations.code"], name=op.f("fk_item_costs_location_locations")
        ),
        sa.PrimaryKeyConstraint("item", "location", "valid_from", name=op.f("pk_item_costs")),
    )
    op.create_table(
        "launches",
        sa.Column("item", sa.String(length=64), nullable=False, comment="The new item"),
        sa.Column(
            "like_item",
            sa.String(length=64),
            nullable=False,
            comment="The item whose demand pattern it follows",
        ),
        sa.Column(
            "scale",
            sa.Float(),
            nullable=False,
            comment="Share of the like item's demand at full volume",
        ),
        sa.Column(
            "ramp_up_periods",
            sa.Integer(),
            nullable=False,
            comment="Months from launch to full volume",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column(
            "import_id", sa.Integer(), nullable=True, comment="The import that wrote the row last"
        ),
        sa.CheckConstraint("ramp_up_periods >= 0", name=op.f("ck_launches_ramp_up_periods_valid")),
        sa.CheckConstraint("scale > 0.0", name=op.f("ck_launches_scale_valid")),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_launches_import_id_imports")
        ),
        sa.ForeignKeyConstraint(["item"], ["items.code"], name=op.f("fk_launches_item_items")),
        sa.ForeignKeyConstraint(
            ["like_item"], ["items.code"], name=op.f("fk_launches_like_item_items")
        ),
        sa.PrimaryKeyConstraint("item", name=op.f("pk_launches")),
    )
    with op.batch_alter_table("launches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_launches_like_item"), ["like_item"], unique=False)

    op.create_table(
        "prices",
        sa.Column("item", sa.String(length=64), nullable=False, comment="Item"),
        sa.Column(
            "channel",
            sa.String(length=64),
            nullable=False,
            comment="Sales channel, or `all` for the list price",
        ),
        sa.Column("valid_from", sa.Date(), nullable=False, comment="First month the price applies"),
        sa.Column("price", sa.Float(), nullable=False, comment="Net selling price per unit"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column(
            "import_id", sa.Integer(), nullable=True, comment="The import that wrote the row last"
        ),
        sa.CheckConstraint("price >= 0.0", name=op.f("ck_prices_price_valid")),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_prices_import_id_imports")
        ),
        sa.ForeignKeyConstraint(["item"], ["items.code"], name=op.f("fk_prices_item_items")),
        sa.PrimaryKeyConstraint("item", "channel", "valid_from", name=op.f("pk_prices")),
    )
    op.create_table(
        "production_actuals",
        sa.Column("item", sa.String(length=64), nullable=False, comment="Item produced"),
        sa.Column("location", sa.String(length=64), nullable=False, comment="Plant"),
        sa.Column("period", sa.Date(), nullable=False, comment="Month"),
        sa.Column("quantity", sa.Float(), nullable=False, comment="Units produced"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column(
            "import_id", sa.Integer(), nullable=True, comment="The import that wrote the row last"
        ),
        sa.CheckConstraint("quantity >= 0.0", name=op.f("ck_production_actuals_quantity_valid")),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_production_actuals_import_id_imports")
        ),
        sa.ForeignKeyConstraint(
            ["item"], ["items.code"], name=op.f("fk_production_actuals_item_items")
        ),
        sa.ForeignKeyConstraint(
            ["location"], ["locations.code"], name=op.f("fk_production_actuals_location_locations")
        ),
        sa.PrimaryKeyConstraint("item", "location", "period", name=op.f("pk_production_actuals")),
    )
    op.create_table(
        "resource_capacity",
        sa.Column("resource", sa.String(length=64), nullable=False, comment="Resource"),
        sa.Column("period", sa.Date(), nullable=False, comment="Month"),
        sa.Column("capacity", sa.Float(), nullable=False, comment="Capacity in that month"),
        sa.Column("note", sa.String(length=200), nullable=True, comment="Why it differs"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column(
            "import_id", sa.Integer(), nullable=True, comment="The import that wrote the row last"
        ),
        sa.CheckConstraint("capacity >= 0.0", name=op.f("ck_resource_capacity_capacity_valid")),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_resource_capacity_import_id_imports")
        ),
        sa.ForeignKeyConstraint(
            ["resource"], ["resources.code"], name=op.f("fk_resource_capacity_resource_resources")
        ),
        sa.PrimaryKeyConstraint("resource", "period", name=op.f("pk_resource_capacity")),
    )
    op.create_table(
        "routings",
        sa.Column("item", sa.String(length=64), nullable=False, comment="Item made"),
        sa.Column("location", sa.String(length=64), nullable=False, comment="Plant that makes it"),
        sa.Column("resource", sa.String(length=64), nullable=False, comment="Resource used"),
        sa.Column(
            "usage_per_unit",
            sa.Float(),
            nullable=False,
            comment="Hours (machines, labour) or supplier units per unit made",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column(
            "import_id", sa.Integer(), nullable=True, comment="The import that wrote the row last"
        ),
        sa.CheckConstraint("usage_per_unit > 0.0", name=op.f("ck_routings_usage_per_unit_valid")),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_routings_import_id_imports")
        ),
        sa.ForeignKeyConstraint(["item"], ["items.code"], name=op.f("fk_routings_item_items")),
        sa.ForeignKeyConstraint(
            ["location"], ["locations.code"], name=op.f("fk_routings_location_locations")
        ),
        sa.ForeignKeyConstraint(
            ["resource"], ["resources.code"], name=op.f("fk_routings_resource_resources")
        ),
        sa.PrimaryKeyConstraint("item", "location", "resource", name=op.f("pk_routings")),
    )
    op.create_table(
        "sales_history",
        sa.Column("item", sa.String(length=64), nullable=False, comment="Item sold"),
        sa.Column(
            "location", sa.String(length=64), nullable=False, comment="Location that shipped"
        ),
        sa.Column("period", sa.Date(), nullable=False, comment="Start of the month (or week)"),
        sa.Column("quantity", sa.Float(), nullable=False, comment="Units sold"),
        sa.Column("revenue", sa.Float(), nullable=True, comment="Net revenue"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column(
            "import_id", sa.Integer(), nullable=True, comment="The import that wrote the row last"
        ),
        sa.CheckConstraint("quantity >= 0.0", name=op.f("ck_sales_history_quantity_valid")),
        sa.CheckConstraint("revenue >= 0.0", name=op.f("ck_sales_history_revenue_valid")),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_sales_history_import_id_imports")
        ),
        sa.ForeignKeyConstraint(["item"], ["items.code"], name=op.f("fk_sales_history_item_items")),
        sa.ForeignKeyConstraint(
            ["location"], ["locations.code"], name=op.f("fk_sales_history_location_locations")
        ),
        sa.PrimaryKeyConstraint("item", "location", "period", name=op.f("pk_sales_history")),
    )
    op.create_table(
        "workforce",
        sa.Column("resource", sa.String(length=64), nullable=False, comment="The labour pool"),
        sa.Column("headcount", sa.Float(), nullable=False, comment="Workers at the plan start"),
        sa.Column(
            "hours_per_worker",
            sa.Float(),
            nullable=False,
            comment="Regular hours per worker per month",
        ),
        sa.Column("regular_wage", sa.Float(), nullable=False, comment="Wage per regular hour"),
        sa.Column("overtime_wage", sa.Float(), nullable=False, comment="Wage per overtime hour"),
        sa.Column(
            "overtime_limit_per_worker",
            sa.Float(),
            nullable=False,
            comment="Most overtime hours per worker per month",
        ),
        sa.Column("hiring_cost", sa.Float(), nullable=False, comment="Cost of hiring one worker"),
        sa.Column(
            "layoff_cost", sa.Float(), nullable=False, comment="Cost of laying off one worker"
        ),
        sa.Column("min_headcount", sa.Float(), nullable=True, comment="Fewest workers allowed"),
        sa.Column("max_headcount", sa.Float(), nullable=True, comment="Most workers allowed"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column(
            "import_id", sa.Integer(), nullable=True, comment="The import that wrote the row last"
        ),
        sa.CheckConstraint("headcount >= 0.0", name=op.f("ck_workforce_headcount_valid")),
        sa.CheckConstraint("hiring_cost >= 0.0", name=op.f("ck_workforce_hiring_cost_valid")),
        sa.CheckConstraint(
            "hours_per_worker >= 0.0", name=op.f("ck_workforce_hours_per_worker_valid")
        ),
        sa.CheckConstraint("layoff_cost >= 0.0", name=op.f("ck_workforce_layoff_cost_valid")),
        sa.CheckConstraint("max_headcount >= 0.0", name=op.f("ck_workforce_max_headcount_valid")),
        sa.CheckConstraint("min_headcount >= 0.0", name=op.f("ck_workforce_min_headcount_valid")),
        sa.CheckConstraint(
            "overtime_limit_per_worker >= 0.0",
            name=op.f("ck_workforce_overtime_limit_per_worker_valid"),
        ),
        sa.CheckConstraint("overtime_wage >= 0.0", name=op.f("ck_workforce_overtime_wage_valid")),
        sa.CheckConstraint("regular_wage >= 0.0", name=op.f("ck_workforce_regular_wage_valid")),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_workforce_import_id_imports")
        ),
        sa.ForeignKeyConstraint(
            ["resource"], ["resources.code"], name=op.f("fk_workforce_resource_resources")
        ),
        sa.PrimaryKeyConstraint("resource", name=op.f("pk_workforce")),
    )


def downgrade() -> None:
    op.drop_table("workforce")
    op.drop_table("sales_history")
    op.drop_table("routings")
    op.drop_table("resource_capacity")
    op.drop_table("production_actuals")
    op.drop_table("prices")
    with op.batch_alter_table("launches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_launches_like_item"))

    op.drop_table("launches")
    op.drop_table("item_costs")
    op.drop_table("inventory_policies")
    op.drop_table("inventory")
    with op.batch_alter_table("demand_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_demand_events_location"))
        batch_op.drop_index(batch_op.f("ix_demand_events_item"))
        batch_op.drop_index(batch_op.f("ix_demand_events_family"))

    op.drop_table("demand_events")
    op.drop_table("demand")
    with op.batch_alter_table("customer_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_orders_location"))
        batch_op.drop_index(batch_op.f("ix_customer_orders_item"))
        batch_op.drop_index(batch_op.f("ix_customer_orders_customer"))

    op.drop_table("customer_orders")
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resources_location"))

    op.drop_table("resources")
    op.drop_table("lanes")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_items_like_item"))
        batch_op.drop_index(batch_op.f("ix_items_family"))

    op.drop_table("items")
    op.drop_table("budgets")
    op.drop_table("parameters")
    op.drop_table("locations")
    op.drop_table("families")
    op.drop_table("customers")
    op.drop_table("imports")
