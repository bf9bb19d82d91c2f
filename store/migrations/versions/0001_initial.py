"""The initial store schema: customers and contracts, OLTs/PONs/ONUs, CTOs and seals,
service orders, optical readings, runs and their step results.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "code", sa.String(length=64), nullable=True, comment="id in the ERP or other source"
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "name_search",
            sa.String(length=200),
            nullable=False,
            comment="name lowercased without accents (store.normalize.search_key)",
        ),
        sa.Column(
            "doc", sa.String(length=14), nullable=True, comment="CPF (11) or CNPJ (14), digits only"
        ),
        sa.Column("doc_type", sa.String(length=4), nullable=True),
        sa.Column("phones", sa.JSON(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("street", sa.String(length=200), nullable=True),
        sa.Column("number", sa.String(length=20), nullable=True),
        sa.Column("district", sa.String(length=100), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("state", sa.String(length=2), nullable=True),
        sa.Column("zip", sa.String(length=8), nullable=True, comment="CEP, digits only"),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("doc_type IN ('cpf', 'cnpj')", name=op.f("ck_customers_doc_type")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("code", name=op.f("uq_customers_code")),
        sa.UniqueConstraint("doc", name=op.f("uq_customers_doc")),
    )
    op.create_index(op.f("ix_customers_name_search"), "customers", ["name_search"])

    op.create_table(
        "olts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False, comment="inventory host name"),
        sa.Column("vendor", sa.String(length=32), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=True),
        sa.Column("site", sa.String(length=64), nullable=True),
        sa.Column("mgmt_ip", sa.String(length=45), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_olts")),
        sa.UniqueConstraint("name", name=op.f("uq_olts_name")),
    )
    op.create_index(op.f("ix_olts_site"), "olts", ["site"])

    op.create_table(
        "runs",
        sa.Column("id", sa.String(length=40), nullable=False, comment="e.g. 20261124T110355-7f3a"),
        sa.Column("runbook", sa.String(length=200), nullable=False),
        sa.Column("runbook_path", sa.Text(), nullable=True),
        sa.Column("vars", sa.JSON(), nullable=False, comment="secret values already masked"),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("dry_run", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("parent_run_id", sa.String(length=40), nullable=True),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("hosts", sa.JSON(), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("machine", sa.String(length=255), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'ok', 'failed', 'aborted', 'interrupted')",
            name=op.f("ck_runs_status"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_run_id"],
            ["runs.id"],
            name=op.f("fk_runs_parent_run_id_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_index(op.f("ix_runs_parent_run_id"), "runs", ["parent_run_id"])
    op.create_index(op.f("ix_runs_started_at"), "runs", ["started_at"])
    op.create_index("ix_runs_status", "runs", ["status"])

    op.create_table(
        "optical_readings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=True),
        sa.Column("olt", sa.String(length=100), nullable=False),
        sa.Column("frame", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("onu_index", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=32), nullable=True),
        sa.Column("rx_dbm", sa.Float(), nullable=True),
        sa.Column("tx_dbm", sa.Float(), nullable=True),
        sa.Column("olt_rx_dbm", sa.Float(), nullable=True),
        sa.Column("temperature", sa.Float(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("signal_class", sa.String(length=16), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
            name=op.f("fk_optical_readings_run_id_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_optical_readings")),
    )
    op.create_index(
        "ix_optical_readings_onu_read_at",
        "optical_readings",
        ["olt", "frame", "slot", "port", "onu_index", "read_at"],
    )
    op.create_index(op.f("ix_optical_readings_run_id"), "optical_readings", ["run_id"])
    op.create_index(op.f("ix_optical_readings_serial"), "optical_readings", ["serial"])

    op.create_table(
        "pon_ports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("olt_id", sa.Integer(), nullable=False),
        sa.Column("frame", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["olt_id"], ["olts.id"], name=op.f("fk_pon_ports_olt_id_olts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pon_ports")),
        sa.UniqueConstraint(
            "olt_id", "frame", "slot", "port", name=op.f("uq_pon_ports_olt_id_frame_slot_port")
        ),
    )
    op.create_table(
        "step_results",
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("rollback", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("step_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("changed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'ok', 'changed', 'failed', 'skipped', 'aborted')",
            name=op.f("ck_step_results_status"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_step_results_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(
            "run_id", "host", "step_index", "rollback", name=op.f("pk_step_results")
        ),
    )
    op.create_table(
        "ctos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("pon_port_id", sa.Integer(), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("ports_total", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("ports_total > 0", name=op.f("ck_ctos_ports_total")),
        sa.ForeignKeyConstraint(
            ["pon_port_id"],
            ["pon_ports.id"],
            name=op.f("fk_ctos_pon_port_id_pon_ports"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ctos")),
        sa.UniqueConstraint("code", name=op.f("uq_ctos_code")),
    )
    op.create_index(op.f("ix_ctos_pon_port_id"), "ctos", ["pon_port_id"])

    op.create_table(
        "onus",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("olt_id", sa.Integer(), nullable=False),
        sa.Column("pon_port_id", sa.Integer(), nullable=False),
        sa.Column("frame", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("onu_index", sa.Integer(), nullable=False, comment="the ONU id on its PON port"),
        sa.Column("serial", sa.String(length=32), nullable=True),
        sa.Column("mac", sa.String(length=17), nullable=True),
        sa.Column("vlan", sa.Integer(), nullable=True),
        sa.Column("line_profile", sa.String(length=64), nullable=True),
        sa.Column("service_profile", sa.String(length=64), nullable=True),
        sa.Column("onu_type", sa.String(length=64), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("state", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("authorized_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["olt_id"], ["olts.id"], name=op.f("fk_onus_olt_id_olts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["pon_port_id"],
            ["pon_ports.id"],
            name=op.f("fk_onus_pon_port_id_pon_ports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onus")),
        sa.UniqueConstraint("pon_port_id", "onu_index", name=op.f("uq_onus_pon_port_id_onu_index")),
        sa.UniqueConstraint("serial", name=op.f("uq_onus_serial")),
    )
    op.create_index(op.f("ix_onus_mac"), "onus", ["mac"])
    op.create_index(op.f("ix_onus_olt_id"), "onus", ["olt_id"])

    op.create_table(
        "cto_ports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cto_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.CheckConstraint("number > 0", name=op.f("ck_cto_ports_number")),
        sa.ForeignKeyConstraint(
            ["cto_id"], ["ctos.id"], name=op.f("fk_cto_ports_cto_id_ctos"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cto_ports")),
        sa.UniqueConstraint("cto_id", "number", name=op.f("uq_cto_ports_cto_id_number")),
    )
    op.create_table(
        "contracts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("plan", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("pppoe_login", sa.String(length=128), nullable=True),
        sa.Column(
            "concentrator", sa.String(length=100), nullable=True, comment="inventory host name"
        ),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("blocked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("block_reason", sa.String(length=200), nullable=True),
        sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("overdue_since", sa.Date(), nullable=True),
        sa.Column("onu_id", sa.Integer(), nullable=True),
        sa.Column("cto_port_id", sa.Integer(), nullable=True),
        sa.Column("seal_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "status IN ('active', 'suspended', 'cancelled', 'pending')",
            name=op.f("ck_contracts_status"),
        ),
        sa.ForeignKeyConstraint(
            ["cto_port_id"],
            ["cto_ports.id"],
            name=op.f("fk_contracts_cto_port_id_cto_ports"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_contracts_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["onu_id"], ["onus.id"], name=op.f("fk_contracts_onu_id_onus"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["seal_id"],
            ["seals.id"],
            name=op.f("fk_contracts_seal_id_seals"),
            ondelete="SET NULL",
            use_alter=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts")),
        sa.UniqueConstraint("code", name=op.f("uq_contracts_code")),
        sa.UniqueConstraint("pppoe_login", name=op.f("uq_contracts_pppoe_login")),
    )
    op.create_index(op.f("ix_contracts_concentrator"), "contracts", ["concentrator"])
    op.create_index(op.f("ix_contracts_cto_port_id"), "contracts", ["cto_port_id"])
    op.create_index(op.f("ix_contracts_customer_id"), "contracts", ["customer_id"])
    op.create_index(op.f("ix_contracts_ip_address"), "contracts", ["ip_address"])
    op.create_index(op.f("ix_contracts_onu_id"), "contracts", ["onu_id"])

    op.create_table(
        "seals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column(
            "registered_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column("registered_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_seals_contract_id_contracts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seals")),
        sa.UniqueConstraint("code", name=op.f("uq_seals_code")),
    )
    op.create_index(op.f("ix_seals_contract_id"), "seals", ["contract_id"])
    # contracts.seal_id and seals.contract_id refer to each other. CREATE TABLE leaves the
    # use_alter key out where the database can add it afterwards (PostgreSQL) and keeps it
    # inline where it cannot (SQLite, which accepts a reference to a table made later).
    if _supports_alter():
        op.create_foreign_key(
            op.f("fk_contracts_seal_id_seals"),
            "contracts",
            "seals",
            ["seal_id"],
            ["id"],
            ondelete="SET NULL",
        )

    op.create_table(
        "service_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("protocol", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=32), server_default="open", nullable=False),
        sa.Column("cause", sa.String(length=200), nullable=True),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("responsible", sa.String(length=100), nullable=True),
        sa.Column("responsible_type", sa.String(length=8), nullable=True),
        sa.Column("street", sa.String(length=200), nullable=True),
        sa.Column("district", sa.String(length=100), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column(
            "opened_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("urgent", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("reviewed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=True),
        sa.Column("owner", sa.String(length=100), nullable=True),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("solution_code", sa.String(length=32), nullable=True),
        sa.Column("solution_text", sa.Text(), nullable=True),
        sa.Column(
            "external_ref", sa.String(length=128), nullable=True, comment="e.g. the ticket id in RT"
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "responsible_type IN ('internal', 'external')",
            name=op.f("ck_service_orders_responsible_type"),
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_service_orders_contract_id_contracts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_service_orders_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_orders")),
        sa.UniqueConstraint("protocol", name=op.f("uq_service_orders_protocol")),
    )
    op.create_index(op.f("ix_service_orders_contract_id"), "service_orders", ["contract_id"])
    op.create_index(op.f("ix_service_orders_customer_id"), "service_orders", ["customer_id"])
    op.create_index(op.f("ix_service_orders_external_ref"), "service_orders", ["external_ref"])
    op.create_index(
        "ix_service_orders_queue_status_opened_at",
        "service_orders",
        ["queue", "status", "opened_at"],
    )

    op.create_table(
        "service_order_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_order_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=32), server_default="comment", nullable=False),
        sa.ForeignKeyConstraint(
            ["service_order_id"],
            ["service_orders.id"],
            name=op.f("fk_service_order_actions_service_order_id_service_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_order_actions")),
    )
    op.create_index(
        op.f("ix_service_order_actions_service_order_id"),
        "service_order_actions",
        ["service_order_id"],
    )


def downgrade() -> None:
    if _supports_alter():
        op.drop_constraint(op.f("fk_contracts_seal_id_seals"), "contracts", type_="foreignkey")
    op.drop_index(
        op.f("ix_service_order_actions_service_order_id"), table_name="service_order_actions"
    )

    op.drop_table("service_order_actions")
    op.drop_index("ix_service_orders_queue_status_opened_at", table_name="service_orders")
    op.drop_index(op.f("ix_service_orders_external_ref"), table_name="service_orders")
    op.drop_index(op.f("ix_service_orders_customer_id"), table_name="service_orders")
    op.drop_index(op.f("ix_service_orders_contract_id"), table_name="service_orders")

    op.drop_table("service_orders")
    op.drop_index(op.f("ix_seals_contract_id"), table_name="seals")

    op.drop_table("seals")
    op.drop_index(op.f("ix_contracts_onu_id"), table_name="contracts")
    op.drop_index(op.f("ix_contracts_ip_address"), table_name="contracts")
    op.drop_index(op.f("ix_contracts_customer_id"), table_name="contracts")
    op.drop_index(op.f("ix_contracts_cto_port_id"), table_name="contracts")
    op.drop_index(op.f("ix_contracts_concentrator"), table_name="contracts")

    op.drop_table("contracts")
    op.drop_table("cto_ports")
    op.drop_index(op.f("ix_onus_olt_id"), table_name="onus")
    op.drop_index(op.f("ix_onus_mac"), table_name="onus")

    op.drop_table("onus")
    op.drop_index(op.f("ix_ctos_pon_port_id"), table_name="ctos")

    op.drop_table("ctos")
    op.drop_table("step_results")
    op.drop_table("pon_ports")
    op.drop_index(op.f("ix_optical_readings_serial"), table_name="optical_readings")
    op.drop_index(op.f("ix_optical_readings_run_id"), table_name="optical_readings")
    op.drop_index("ix_optical_readings_onu_read_at", table_name="optical_readings")

    op.drop_table("optical_readings")
    op.drop_index("ix_runs_status", table_name="runs")
    op.drop_index(op.f("ix_runs_started_at"), table_name="runs")
    op.drop_index(op.f("ix_runs_parent_run_id"), table_name="runs")

    op.drop_table("runs")
    op.drop_index(op.f("ix_olts_site"), table_name="olts")

    op.drop_table("olts")
    op.drop_index(op.f("ix_customers_name_search"), table_name="customers")

    op.drop_table("customers")


def _supports_alter() -> bool:
    return op.get_bind().dialect.supports_alter
