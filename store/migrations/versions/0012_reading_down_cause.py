"""Why an offline ONU is down, per reading: the OLT's own words and their class.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE, not batch mode: on SQLite a batch copy drops and recreates the table,
# and a long readings history is copied row by row for two nullable columns.
def upgrade() -> None:
    op.add_column(
        "optical_readings",
        sa.Column(
            "down_cause",
            sa.String(32),
            nullable=True,
            comment="the OLT's words for the last down cause of an offline ONU",
        ),
    )
    op.add_column(
        "optical_readings",
        sa.Column(
            "down_class",
            sa.String(8),
            nullable=True,
            comment="power | fibre | other; NULL when the OLT did not say",
        ),
    )


def downgrade() -> None:
    op.drop_column("optical_readings", "down_class")
    op.drop_column("optical_readings", "down_cause")
