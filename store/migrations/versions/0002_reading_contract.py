"""Optical readings keep the contract they were read for.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("optical_readings", sa.Column("contract", sa.String(length=64), nullable=True))
    op.create_index(
        op.f("ix_optical_readings_contract"), "optical_readings", ["contract"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_optical_readings_contract"), table_name="optical_readings")
    op.drop_column("optical_readings", "contract")
