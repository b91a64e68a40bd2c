"""prices carry their rebate

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_PRICE = "Net selling price per unit"
NEW_PRICE = "Selling price per unit, before rebates and discounts"
REBATE = (
    "Rebates and discounts expected on this price, as a share of it (empty: learnt from the "
    "sales history)"
)


def upgrade() -> None:
    # Rows already stored keep an empty rebate: the plan learns it from the sales history.
    with op.batch_alter_table("prices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rebate", sa.Float(), nullable=True, comment=REBATE))
        batch_op.create_check_constraint(
            op.f("ck_prices_rebate_valid"), "rebate >= 0.0 AND rebate < 1.0"
        )
        batch_op.alter_column(
            "price",
            existing_type=sa.Float(),
            existing_nullable=False,
            comment=NEW_PRICE,
            existing_comment=OLD_PRICE,
        )


def downgrade() -> None:
    with op.batch_alter_table("prices", schema=None) as batch_op:
        batch_op.alter_column(
            "price",
            existing_type=sa.Float(),
            existing_nullable=False,
            comment=OLD_PRICE,
            existing_comment=NEW_PRICE,
        )
        batch_op.drop_constraint(op.f("ck_prices_rebate_valid"), type_="check")
        batch_op.drop_column("rebate")
