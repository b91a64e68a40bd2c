"""lost sales cost may be empty

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_COMMENT = "Cost of one unit of demand never served"
NEW_COMMENT = (
    "Cost of one unit of demand never served (empty: the demand cannot be lost, only "
    "delivered late)"
)


def upgrade() -> None:
    with op.batch_alter_table("item_costs", schema=None) as batch_op:
        batch_op.alter_column(
            "lost_sales_cost",
            existing_type=sa.Float(),
            nullable=True,
            comment=NEW_COMMENT,
            existing_comment=OLD_COMMENT,
        )


def downgrade() -> None:
    # The old schema has no way to say "cannot be lost": any number put in would allow lost
    # sales at that cost, so a plan would silently start dropping demand. Refuse instead.
    bind = op.get_bind()
    empty = bind.execute(
        sa.text("SELECT COUNT(*) FROM item_costs WHERE lost_sales_cost IS NULL")
    ).scalar_one()
    if empty:
        raise RuntimeError(
            f"{empty} item_costs rows have no lost_sales_cost; fill them in before downgrading"
        )
    with op.batch_alter_table("item_costs", schema=None) as batch_op:
        batch_op.alter_column(
            "lost_sales_cost",
            existing_type=sa.Float(),
            nullable=False,
            comment=OLD_COMMENT,
            existing_comment=NEW_COMMENT,
        )
