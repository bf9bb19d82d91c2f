"""Device configurations: content-addressed texts and one version per change per host.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ispflow.store.columns import UTCDateTime

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "config_blobs",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column(
            "masked",
            sa.Boolean(),
            nullable=False,
            comment="secrets replaced by *** before storing",
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_config_blobs")),
    )
    op.create_table(
        "config_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(128), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False, comment="1, 2, 3 ... per host"),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("platform", sa.String(32), nullable=True),
        sa.Column(
            "first_seen", UTCDateTime(), nullable=False, comment="the backup that found it"
        ),
        sa.Column(
            "last_seen", UTCDateTime(), nullable=False, comment="the last backup that found it"
        ),
        sa.Column("run_id", sa.String(64), nullable=True, comment="the run that found it"),
        sa.ForeignKeyConstraint(
            ["sha256"],
            ["config_blobs.sha256"],
            name=op.f("fk_config_versions_sha256_config_blobs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_config_versions")),
        sa.UniqueConstraint("host", "number", name=op.f("uq_config_versions_host_number")),
    )
    op.create_index(
        "ix_config_versions_host_first_seen", "config_versions", ["host", "first_seen"]
    )


def downgrade() -> None:
    op.drop_index("ix_config_versions_host_first_seen", table_name="config_versions")
    op.drop_table("config_versions")
    op.drop_table("config_blobs")
