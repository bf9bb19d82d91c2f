"""An ONU row may wait for its id: a contract's ONU is known before it is authorized.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("onus") as batch:
        batch.alter_column("onu_index", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM onus WHERE onu_index IS NULL")
    with op.batch_alter_table("onus") as batch:
        batch.alter_column("onu_index", existing_type=sa.Integer(), nullable=False)
