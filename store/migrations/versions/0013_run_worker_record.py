"""What workers of a distributed run take from the store: the runbook's SHA-256 and the
secret vars, sealed.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE, not batch mode: on SQLite a batch copy drops `runs`, and with foreign
# keys on that cascades to every step result and shard of every run.
def upgrade() -> None:
    op.add_column(
        "runs",
        sa.Column(
            "runbook_sha256",
            sa.String(64),
            nullable=True,
            comment="of the runbook file a distributed run sends its workers; NULL for local runs",
        ),
    )
    op.add_column(
        "runs",
        sa.Column(
            "sealed_vars",
            sa.Text(),
            nullable=True,
            comment="a distributed run's secret vars: Fernet ciphertext bound to the run id",
        ),
    )


def downgrade() -> None:
    op.drop_column("runs", "sealed_vars")
    op.drop_column("runs", "runbook_sha256")
