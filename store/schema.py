"""The store's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL (but for an index
of the readings, shaped for each: `DIALECT_INDEXES`).

Alembic migrations in `store/migrations` create exactly this; a test compares the two.
Conventions: integer surrogate keys, natural codes as unique columns, UTC-aware timestamps,
statuses as short strings (CHECK-ed where the set of values is closed), JSON for lists/maps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    cast,
    false,
    func,
    literal_column,
    true,
)
from sqlalchemy.sql.elements import ColumnElement

from ispflow.store.columns import UTCDateTime

# Named constraints keep migrations portable: SQLite can only change a constraint it can name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

CONTRACT_STATUSES = ("active", "suspended", "cancelled", "pending")
RUN_STATUSES = ("running", "ok", "failed", "aborted", "interrupted")
SERVICE_ORDER_STATUSES = ("open", "waiting", "closed")
STEP_STATUSES = ("pending", "ok", "changed", "failed", "skipped", "aborted")


def _one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name)


def _created() -> Column:
    return Column("created_at", UTCDateTime(), nullable=False, server_default=func.now())


def _updated() -> Column:
    return Column(
        "updated_at", UTCDateTime(), nullable=False, server_default=func.now(), onupdate=func.now()
    )


# -- customers and contracts --------------------------------------------------------------
customers = Table(
    "customers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), unique=True, comment="id in the ERP or other source"),
    Column("name", String(200), nullable=False),
    Column(
        "name_search",
        String(200),
        nullable=False,
        index=True,
        comment="name lowercased without accents (store.normalize.search_key)",
    ),
    Column(
        "doc",
        String(14),
        unique=True,
        comment="CPF (11 digits) or CNPJ (14, letters too since 2026), without punctuation",
    ),
    Column("doc_type", String(4)),
    Column("phones", JSON, nullable=False, default=list),
    Column(
        "phone_search",
        String(255),
        comment="the digits of every phone, space-separated (store.normalize.phone_key)",
    ),
    Column("email", String(254)),
    Column("street", String(200)),
    Column("number", String(20)),
    Column("district", String(100)),
    Column("city", String(100)),
    Column("state", String(2)),
    Column("zip", String(8), comment="CEP, digits only"),
    _created(),
    _updated(),
    _one_of("doc_type", ("cpf", "cnpj"), "doc_type"),
)

olts = Table(
    "olts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True, comment="inventory host name"),
    Column("vendor", String(32), nullable=False),
    Column("model", String(64)),
    Column("site", String(64), index=True),
    Column("mgmt_ip", String(45)),
    Column(
        "mgmt_port",
        Integer,
        CheckConstraint("mgmt_port BETWEEN 1 AND 65535", name="mgmt_port"),
        comment="SSH port; NULL for the usual 22",
    ),
    _created(),
    _updated(),
)

pon_ports = Table(
    "pon_ports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("olt_id", ForeignKey("olts.id", ondelete="CASCADE"), nullable=False),
    Column("frame", Integer, nullable=False),
    Column("slot", Integer, nullable=False),
    Column("port", Integer, nullable=False),
    UniqueConstraint("olt_id", "frame", "slot", "port"),
)

onus = Table(
    "onus",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("olt_id", ForeignKey("olts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("pon_port_id", ForeignKey("pon_ports.id", ondelete="CASCADE"), nullable=False),
    # frame/slot/port repeat the PON port's so reports and CLI rendering need no join.
    Column("frame", Integer, nullable=False),
    Column("slot", Integer, nullable=False),
    Column("port", Integer, nullable=False),
    # NULL while the ONU waits for authorization (a pending contract's ONU).
    Column("onu_index", Integer, comment="the ONU id on its PON port"),
    Column("serial", String(32), unique=True),
    Column("mac", String(17), index=True),
    Column("vlan", Integer),
    Column("line_profile", String(64)),
    Column("service_profile", String(64)),
    Column("onu_type", String(64)),
    Column("description", String(200)),
    Column("state", String(16), nullable=False, server_default="pending"),
    Column("authorized_at", UTCDateTime()),
    _created(),
    _updated(),
    UniqueConstraint("pon_port_id", "onu_index"),
)

ctos = Table(
    "ctos",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("pon_port_id", ForeignKey("pon_ports.id", ondelete="SET NULL"), index=True),
    Column("location", String(200)),
    Column("lat", Float),
    Column("lon", Float),
    Column("ports_total", Integer, nullable=False),
    _created(),
    _updated(),
    CheckConstraint("ports_total > 0", name="ports_total"),
)

cto_ports = Table(
    "cto_ports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cto_id", ForeignKey("ctos.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    UniqueConstraint("cto_id", "number"),
    CheckConstraint("number > 0", name="number"),
)

contracts = Table(
    "contracts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False, index=True),
    Column("plan", String(100)),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("pppoe_login", String(128), unique=True),
    Column("concentrator", String(100), index=True, comment="inventory host name"),
    Column("ip_address", String(45), index=True),
    Column("blocked", Boolean, nullable=False, server_default=false()),
    Column("block_reason", String(200)),
    Column("blocked_at", UTCDateTime()),
    # The PPP profile the contract had before it was blocked, given back when unblocked.
    Column("unblock_profile", String(64)),
    Column("overdue_since", Date),
    Column("onu_id", ForeignKey("onus.id", ondelete="SET NULL"), index=True),
    Column("cto_port_id", ForeignKey("cto_ports.id", ondelete="SET NULL"), index=True),
    # contracts <-> seals is a cycle; use_alter lets PostgreSQL add this key after both exist.
    Column("seal_id", ForeignKey("seals.id", ondelete="SET NULL", use_alter=True)),
    _created(),
    _updated(),
    _one_of("status", CONTRACT_STATUSES, "status"),
    # A CTO port serves one customer drop.
    UniqueConstraint("cto_port_id", name="uq_contracts_cto_port"),
)

seals = Table(
    "seals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("contract_id", ForeignKey("contracts.id", ondelete="SET NULL"), index=True),
    Column("registered_at", UTCDateTime(), nullable=False, server_default=func.now()),
    Column("registered_by", String(100)),
)

# -- service orders -----------------------------------------------------------------------
service_orders = Table(
    "service_orders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("protocol", String(64), nullable=False, unique=True),
    Column("subject", String(200)),
    Column("customer_id", ForeignKey("customers.id", ondelete="SET NULL"), index=True),
    Column("contract_id", ForeignKey("contracts.id", ondelete="SET NULL"), index=True),
    Column("status", String(32), nullable=False, server_default="open"),
    Column("status_since", UTCDateTime(), comment="when it entered its current status"),
    Column("cause", String(200)),
    Column("channel", String(64)),
    Column("responsible", String(100)),
    Column("responsible_type", String(8)),
    Column("street", String(200)),
    Column("district", String(100)),
    Column("city", String(100)),
    Column("opened_at", UTCDateTime(), nullable=False, server_default=func.now()),
    Column("scheduled_at", UTCDateTime()),
    Column("closed_at", UTCDateTime()),
    Column("urgent", Boolean, nullable=False, server_default=false()),
    Column("reviewed", Boolean, nullable=False, server_default=false()),
    Column("queue", String(64)),
    Column("owner", String(100)),
    Column("locked_at", UTCDateTime()),
    Column("solution_code", String(32)),
    Column("solution_text", Text),
    Column("cto", String(64)),
    Column("seal", String(64)),
    Column("external_ref", String(128), index=True, comment="e.g. the ticket id in RT"),
    _created(),
    _updated(),
    _one_of("responsible_type", ("internal", "external"), "responsible_type"),
    _one_of("status", SERVICE_ORDER_STATUSES, "status"),
    # "claim the oldest open order of a queue with no owner" is the hot query.
    Index("ix_service_orders_queue_status_opened_at", "queue", "status", "opened_at"),
)

service_order_actions = Table(
    "service_order_actions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "service_order_id",
        ForeignKey("service_orders.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("author", String(100)),
    Column("at", UTCDateTime(), nullable=False, server_default=func.now()),
    Column("text", Text, nullable=False),
    Column("kind", String(32), nullable=False, server_default="comment"),
)

# -- runs ---------------------------------------------------------------------------------
runs = Table(
    "runs",
    metadata,
    Column("id", String(40), primary_key=True, comment="e.g. 20261124T110355-7f3a"),
    Column("runbook", String(200), nullable=False),
    Column("runbook_path", Text),
    Column("vars", JSON, nullable=False, comment="secret values already masked"),
    Column("status", String(16), nullable=False),
    Column("message", Text),
    Column("dry_run", Boolean, nullable=False, server_default=false()),
    Column("parent_run_id", ForeignKey("runs.id", ondelete="SET NULL"), index=True),
    Column("options", JSON, nullable=False),
    Column("hosts", JSON, nullable=False),
    Column("steps", JSON, nullable=False),
    Column("pid", Integer),
    Column("machine", String(255)),
    Column("started_at", UTCDateTime(), nullable=False, index=True),
    Column("finished_at", UTCDateTime()),
    Column("heartbeat_at", UTCDateTime()),
    # What workers of a distributed run take from here rather than from a broker message.
    Column(
        "runbook_sha256",
        String(64),
        comment="of the runbook file a distributed run sends its workers; NULL for local runs",
    ),
    Column(
        "sealed_vars",
        Text,
        comment="a distributed run's secret vars: Fernet ciphertext bound to the run id",
    ),
    _one_of("status", RUN_STATUSES, "status"),
    Index("ix_runs_status", "status"),
)

step_results = Table(
    "step_results",
    metadata,
    Column("run_id", ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("host", String(255), nullable=False),
    Column("step_index", Integer, nullable=False),
    Column("rollback", Boolean, nullable=False, server_default=false()),
    Column("step_name", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("changed", Boolean, nullable=False, server_default=false()),
    Column("result", JSON),
    Column("error", Text),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("started_at", UTCDateTime()),
    Column("finished_at", UTCDateTime()),
    PrimaryKeyConstraint("run_id", "host", "step_index", "rollback"),
    _one_of("status", STEP_STATUSES, "status"),
)

# -- optical readings ---------------------------------------------------------------------
optical_readings = Table(
    "optical_readings",
    metadata,
    # BIGINT for a long history; SQLite only auto-numbers a column declared INTEGER.
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    # The run by id, without a foreign key: checked per reading it costs a sixth of the
    # write, and runs are never deleted. Its readings are found through `reading_batches`.
    Column("run_id", String(40)),
    # The OLT by name, not by key: history outlives inventory changes.
    Column("olt", String(100), nullable=False),
    Column("frame", Integer, nullable=False),
    Column("slot", Integer, nullable=False),
    Column("port", Integer, nullable=False),
    Column("onu_index", Integer, nullable=False),
    # No index on serial or contract: each costs more per reading written than the table
    # itself; an ONU's newest reading is found by position (`store.customers`).
    Column("serial", String(32)),
    Column("rx_dbm", Float),
    Column("tx_dbm", Float),
    Column("olt_rx_dbm", Float),
    Column("temperature", Float),
    Column("state", String(16), nullable=False),
    Column("signal_class", String(16), nullable=False),
    Column("read_at", UTCDateTime(), nullable=False),
    # The contract by its code, like the OLT by name: history outlives both.
    Column("contract", String(64)),
    # Why an offline ONU is down, as the OLT said it and as a class (power | fibre | other).
    Column(
        "down_cause",
        String(32),
        comment="the OLT's words for the last down cause of an offline ONU",
    ),
    Column("down_class", String(8), comment="power | fibre | other; NULL when the OLT did not say"),
    # An ONU's readings by place. SQLite does not deduplicate equal keys: there read_at is in
    # the key, and prunes and day views range over it. PostgreSQL's place index is below.
    Index(
        "ix_optical_readings_onu_read_at", "olt", "frame", "slot", "port", "onu_index", "read_at"
    ).ddl_if(dialect="sqlite"),
    # SQLite finds a run's readings by this index. PostgreSQL has none: updated for every
    # reading it cost a sixth of the write; there a run's readings are found by the block
    # range index below, within the times `reading_batches` records for the run.
    Index("ix_optical_readings_run_id", "run_id").ddl_if(dialect="sqlite"),
    # PostgreSQL's block range (BRIN) index, a few KB a day and next to free to write. Per
    # range of blocks (readings are stored in about the order they are read) it keeps the
    # span of `read_at` and a bloom filter of the run ids: a prune rolls an hour up from that
    # hour's blocks, and a run's readings are read from the blocks that hold them, not from
    # the whole day's partition. Its PostgreSQL options are `READ_AT_RUN_ID_OPTIONS`.
    Index("ix_optical_readings_read_at_run_id", "read_at", "run_id").ddl_if(dialect="postgresql"),
    # On PostgreSQL the table is partitioned by day of `read_at` (migration 0014 and
    # store.reading_partitions), so old days are dropped whole; a partitioned table's primary
    # key must hold the partition column, so there it is (id, read_at). SQLite keeps `id`
    # alone, the rowid it numbers itself.
)


def reading_place(frame: Any, slot: Any, port: Any, onu_index: Any) -> ColumnElement[int]:
    """An ONU's place on its OLT as one number, for the PostgreSQL place index: a key of the
    OLT and one integer costs a reading about half what a key of five columns does. A PON's
    ONUs are one range of it (`pon_places`). Values past the field widths (slot or port over
    255, ONU id over 4095) share numbers with others, so queries also compare the columns."""
    constant = literal_column  # a constant, not a parameter: the index expression must match
    return ((cast(frame, BigInteger) * constant("256") + slot) * constant("256") + port) * constant(
        "4096"
    ) + onu_index


def place_number(frame: int, slot: int, port: int, onu_index: int) -> int:
    """`reading_place` of one ONU, worked out here, to compare the index's numbers with."""
    return ((frame * 256 + slot) * 256 + port) * 4096 + onu_index


def pon_places(frame: int, slot: int, port: int) -> tuple[int, int]:
    """The lowest and highest `reading_place` of a PON's ONUs."""
    low = place_number(frame, slot, port, 0)
    return low, low + 4095


_r = optical_readings.c
# An ONU's readings by place. PostgreSQL keeps a place's readings of a day as one entry (its
# index deduplicates equal keys): a day of 5 M readings is a small index that every audit's
# writes find in memory, where one entry per reading (read_at in the key) is 330 MB, written
# all over by every audit. A place's few readings of a day are sorted after.
Index(
    "ix_optical_readings_place",
    _r.olt,
    reading_place(_r.frame, _r.slot, _r.port, _r.onu_index),
).ddl_if(dialect="postgresql")

# Given to the index when PostgreSQL is used (`with_postgresql_options`), not where it is
# declared: naming a dialect's options loads that dialect, and a store on SQLite would pay
# for PostgreSQL's at every start.
READ_AT_RUN_ID_OPTIONS = {
    "postgresql_using": "brin",
    "postgresql_ops": {"run_id": "text_bloom_ops(n_distinct_per_range = 16)"},
}


def with_postgresql_options() -> None:
    """Give the PostgreSQL-only indexes their PostgreSQL options (idempotent)."""
    index = next(
        i for i in optical_readings.indexes if i.name == "ix_optical_readings_read_at_run_id"
    )
    index.dialect_kwargs.update(READ_AT_RUN_ID_OPTIONS)


# The runs' readings by OLT, one row per OLT written (in the readings' transaction): which
# times to look at for a run's readings, and whether a resumed run stored an OLT before.
reading_batches = Table(
    "reading_batches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", String(40), nullable=False, index=True),
    Column("olt", String(100), nullable=False),
    Column("read_at", UTCDateTime(), nullable=False, index=True),
    Column("readings", Integer, nullable=False),
    # The step of the run that read them (None: stored outside a run's step).
    Column("step_index", Integer),
)


# Indexes made on one database only (`ddl_if`), by name: schema comparisons leave them out on
# the other.
DIALECT_INDEXES = {
    "ix_optical_readings_onu_read_at": "sqlite",
    "ix_optical_readings_run_id": "sqlite",
    "ix_optical_readings_place": "postgresql",
    "ix_optical_readings_read_at_run_id": "postgresql",
}


def included_on(dialect: str) -> Callable[[Any, str | None, str, bool, Any], bool]:
    """For Alembic's `include_object` on `dialect`: every object of the schema but the
    indexes meant for the other database."""

    def included(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
        return not (type_ == "index" and DIALECT_INDEXES.get(name or "", dialect) != dialect)

    return included


def _rollup(name: str, comment: str, *extra: Index) -> Table:
    """Per ONU (where it is, as readings name it) per bucket: what its readings were."""
    return Table(
        name,
        metadata,
        Column("olt", String(100), nullable=False),
        Column("frame", Integer, nullable=False),
        Column("slot", Integer, nullable=False),
        Column("port", Integer, nullable=False),
        Column("onu_index", Integer, nullable=False),
        Column("bucket", UTCDateTime(), nullable=False, comment=comment),
        Column("serial", String(32), comment="of the bucket's newest reading"),
        Column("contract", String(64), comment="of the bucket's newest reading"),
        Column("rx_min", Float),
        Column("rx_avg", Float, comment="over the readings with light"),
        Column("rx_max", Float),
        Column("samples", Integer, nullable=False, comment="readings in the bucket"),
        Column("offline_samples", Integer, nullable=False, comment="of which offline"),
        Column(
            "rx_samples", Integer, nullable=False, comment="of which with light: rx_avg's weight"
        ),
        PrimaryKeyConstraint("olt", "frame", "slot", "port", "onu_index", "bucket"),
        # Retention drops the oldest buckets; a PON's day is read by position and bucket.
        Index(f"ix_{name}_bucket", "bucket"),
        *extra,
    )


optical_hourly = _rollup("optical_hourly", "start of the hour, UTC")
# Where an ONU was seen by serial or contract: its newest reading is looked for there too
# (`store.customers`), once a day's roll-up is written (a row per ONU and day).
optical_daily = _rollup(
    "optical_daily",
    "start of the day, UTC",
    Index("ix_optical_daily_serial", "serial"),
    Index("ix_optical_daily_contract", "contract"),
)

# How far each roll-up has been filled: buckets before `rolled_through` are final. Moved in the
# transaction that writes them, so a bucket is summed once, and raw readings are only dropped
# before it.
optical_rollup_marks = Table(
    "optical_rollup_marks",
    metadata,
    Column("granularity", String(8), primary_key=True, comment="hour | day"),
    Column("rolled_through", UTCDateTime(), nullable=False),
)

# -- schedules ----------------------------------------------------------------------------
schedules = Table(
    "schedules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("runbook", Text, nullable=False, comment="shipped runbook name or file path"),
    Column("vars", JSON, nullable=False, comment="as given with -e, checked when added"),
    Column("options", JSON, nullable=False, comment="limit, workers"),
    Column("every_seconds", Integer, nullable=False),
    Column("enabled", Boolean, nullable=False, server_default=true()),
    Column("next_run_at", UTCDateTime(), nullable=False),
    Column("last_run_at", UTCDateTime()),
    Column("last_run_id", ForeignKey("runs.id", ondelete="SET NULL")),
    Column("last_status", String(16)),
    # A lease, not a flag: a scheduler that dies stops renewing it, and another may take over
    # once it lapses.
    Column("locked_by", String(255), comment="host:pid of the scheduler running it"),
    Column("locked_until", UTCDateTime()),
    _created(),
    _updated(),
    CheckConstraint("every_seconds > 0", name="every_seconds"),
    Index("ix_schedules_enabled_next_run_at", "enabled", "next_run_at"),
)

# -- distributed runs ---------------------------------------------------------------------
SHARD_STATUSES = ("queued", "running", "done", "failed")

run_shards = Table(
    "run_shards",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("step_index", Integer, nullable=False),
    Column("rollback", Boolean, nullable=False, server_default=false()),
    Column("shard", String(200), nullable=False, comment="site or host group name"),
    Column("queue", String(200), nullable=False),
    Column("hosts", JSON, nullable=False),
    Column("status", String(16), nullable=False, server_default="queued"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    # A lease like the schedules': a worker that dies stops renewing it.
    Column("worker", String(255), comment="host:pid running it"),
    Column("lease_until", UTCDateTime()),
    Column("error", Text),
    Column(
        "history",
        JSON,
        nullable=False,
        comment="per finished attempt: worker, hosts run, hosts already done",
    ),
    _created(),
    _updated(),
    UniqueConstraint("run_id", "step_index", "rollback", "shard"),
    _one_of("status", SHARD_STATUSES, "status"),
)

# -- ONU stock ----------------------------------------------------------------------------
STOCK_STATES = ("in_stock", "reserved", "installed", "returned", "defective")
STOCK_TECHNOLOGIES = ("GPON", "EPON")

stock_items = Table(
    "stock_items",
    metadata,
    Column("id", Integer, primary_key=True),
    # Unique only when given: an EPON ONU may be known by its MAC alone, a GPON one by its
    # serial alone (both databases let a UNIQUE column hold many NULLs).
    Column("serial", String(16), unique=True, comment="GPON serial, HWTC1A2B3C4D"),
    Column("mac", String(17), unique=True, comment="aa:bb:cc:dd:ee:ff"),
    Column("model", String(64), nullable=False),
    Column("vendor", String(32), comment="lower-case: huawei, zte, ..."),
    Column("technology", String(4), nullable=False, server_default="GPON"),
    Column("received_on", Date, nullable=False),
    Column("state", String(16), nullable=False, server_default="in_stock"),
    Column("contract_id", ForeignKey("contracts.id", ondelete="SET NULL"), index=True),
    Column("service_order_id", ForeignKey("service_orders.id", ondelete="SET NULL"), index=True),
    Column("note", Text),
    _created(),
    _updated(),
    CheckConstraint("serial IS NOT NULL OR mac IS NOT NULL", name="serial_or_mac"),
    _one_of("technology", STOCK_TECHNOLOGIES, "technology"),
    _one_of("state", STOCK_STATES, "state"),
    # "how many HG8245H are in stock" is the question the warehouse asks most.
    Index("ix_stock_items_state_model", "state", "model"),
)

# -- provisioning -------------------------------------------------------------------------
contract_secrets = Table(
    "contract_secrets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("contract_id", ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("ciphertext", Text, nullable=False, comment="Fernet token; the key is not here"),
    _created(),
    UniqueConstraint("contract_id", "name"),
)

# -- device configurations ----------------------------------------------------------------
# Content-addressed: a configuration text is kept once (by its SHA-256), however many devices
# or versions share it; a version is a change on one device, not a backup run.
config_blobs = Table(
    "config_blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("content", Text, nullable=False),
    Column("lines", Integer, nullable=False),
    Column("masked", Boolean, nullable=False, comment="secrets replaced by *** before storing"),
    _created(),
)

config_versions = Table(
    "config_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("host", String(128), nullable=False),
    Column("number", Integer, nullable=False, comment="1, 2, 3 ... per host"),
    Column("sha256", ForeignKey("config_blobs.sha256"), nullable=False),
    Column("platform", String(32)),
    Column("first_seen", UTCDateTime(), nullable=False, comment="the backup that found it"),
    Column("last_seen", UTCDateTime(), nullable=False, comment="the last backup that found it"),
    Column("run_id", String(64), comment="the run that found it"),
    UniqueConstraint("host", "number"),
    Index("ix_config_versions_host_first_seen", "host", "first_seen"),
)
