"""An OLT's SSH port, for OLTs that do not listen on 22 (NULL keeps 22).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE, not batch mode: on SQLite a batch copy drops `olts`, and with foreign
# keys on that cascades to every PON port and ONU. The CHECK stays with the column, which
# SQLite can add and drop in place.
def upgrade() -> None:
    op.add_column(
        "olts",
        sa.Column(
            "mgmt_port",
            sa.Integer(),
            sa.CheckConstraint("mgmt_port BETWEEN 1 AND 65535", name=op.f("ck_olts_mgmt_port")),
            nullable=True,
            comment="SSH port; NULL for the usual 22",
        ),
    )


def downgrade() -> None:
    op.drop_column("olts", "mgmt_port")
