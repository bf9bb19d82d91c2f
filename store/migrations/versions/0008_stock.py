"""ONU stock: devices received by the ISP, from the warehouse to the customer and back.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ispflow.store.columns import UTCDateTime

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stock_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(16), nullable=True, comment="GPON serial, HWTC1A2B3C4D"),
        sa.Column("mac", sa.String(17), nullable=True, comment="aa:bb:cc:dd:ee:ff"),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("vendor", sa.String(32), nullable=True, comment="lower-case: huawei, zte, ..."),
        sa.Column("technology", sa.String(4), nullable=False, server_default="GPON"),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="in_stock"),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column("service_order_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", UTCDateTime(), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint(
            "serial IS NOT NULL OR mac IS NOT NULL", name=op.f("ck_stock_items_serial_or_mac")
        ),
        sa.CheckConstraint(
            "technology IN ('GPON', 'EPON')", name=op.f("ck_stock_items_technology")
        ),
        sa.CheckConstraint(
            "state IN ('in_stock', 'reserved', 'installed', 'returned', 'defective')",
            name=op.f("ck_stock_items_state"),
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_stock_items_contract_id_contracts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["service_order_id"],
            ["service_orders.id"],
            name=op.f("fk_stock_items_service_order_id_service_orders"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_items")),
        sa.UniqueConstraint("mac", name=op.f("uq_stock_items_mac")),
        sa.UniqueConstraint("serial", name=op.f("uq_stock_items_serial")),
    )
    op.create_index(
        op.f("ix_stock_items_contract_id"), "stock_items", ["contract_id"], unique=False
    )
    op.create_index(
        op.f("ix_stock_items_service_order_id"), "stock_items", ["service_order_id"], unique=False
    )
    op.create_index(
        op.f("ix_stock_items_state_model"), "stock_items", ["state", "model"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_stock_items_state_model"), table_name="stock_items")
    op.drop_index(op.f("ix_stock_items_service_order_id"), table_name="stock_items")
    op.drop_index(op.f("ix_stock_items_contract_id"), table_name="stock_items")
    op.drop_table("stock_items")
