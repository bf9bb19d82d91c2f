"""Field service: phone search key, one contract per CTO port, service order subject, status
time, CTO and seal, and the closed set of service order statuses.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ispflow.store.columns import UTCDateTime

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(
            sa.Column(
                "phone_search",
                sa.String(255),
                nullable=True,
                comment="the digits of every phone, space-separated (store.normalize.phone_key)",
            )
        )
        batch.alter_column(
            "doc",
            existing_type=sa.String(14),
            existing_nullable=True,
            comment="CPF (11 digits) or CNPJ (14, letters too since 2026), without punctuation",
            existing_comment="CPF (11) or CNPJ (14), digits only",
        )
    _fill_phone_search()
    with op.batch_alter_table("contracts") as batch:
        batch.create_unique_constraint("uq_contracts_cto_port", ["cto_port_id"])
    op.execute(
        "UPDATE service_orders SET status = 'open' "
        "WHERE status NOT IN ('open', 'waiting', 'closed')"
    )
    with op.batch_alter_table("service_orders") as batch:
        batch.add_column(sa.Column("subject", sa.String(200), nullable=True))
        batch.add_column(
            sa.Column(
                "status_since",
                UTCDateTime(),
                nullable=True,
                comment="when it entered its current status",
            )
        )
        batch.add_column(sa.Column("cto", sa.String(64), nullable=True))
        batch.add_column(sa.Column("seal", sa.String(64), nullable=True))
        batch.create_check_constraint("status", "status IN ('open', 'waiting', 'closed')")


def _fill_phone_search() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, phones FROM customers")).all()
    for row_id, phones in rows:
        if isinstance(phones, str):
            phones = json.loads(phones)
        key = " ".join(re.sub(r"\D", "", str(p)) for p in phones or []) or None
        bind.execute(
            sa.text("UPDATE customers SET phone_search = :key WHERE id = :id"),
            {"key": key, "id": row_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("service_orders") as batch:
        batch.drop_constraint("status", type_="check")
        batch.drop_column("seal")
        batch.drop_column("cto")
        batch.drop_column("status_since")
        batch.drop_column("subject")
    with op.batch_alter_table("contracts") as batch:
        batch.drop_constraint("uq_contracts_cto_port", type_="unique")
    with op.batch_alter_table("customers") as batch:
        batch.alter_column(
            "doc",
            existing_type=sa.String(14),
            existing_nullable=True,
            comment="CPF (11) or CNPJ (14), digits only",
            existing_comment="CPF (11 digits) or CNPJ (14, letters too since 2026), without punctuation",
        )
        batch.drop_column("phone_search")
