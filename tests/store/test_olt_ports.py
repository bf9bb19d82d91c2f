"""An OLT's SSH port in the store: the migration that adds it, `inventory sync` filling it, the
store source connecting there (and to 22 without one), and the lab's login for its devices."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from nornir.core.inventory import Host
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from ispflow.plugins.inventory.files import open_nornir
from ispflow.plugins.inventory.store import StoreInventory
from ispflow.plugins.inventory.sync import sync_olts
from ispflow.store import migrate
from ispflow.store.db import Database, open_database
from ispflow.store.schema import olts
from tests.conftest import Cli


def olt_host(name: str, port: Any = None, address: str = "10.20.0.11") -> Host:
    return Host(
        name=name,
        hostname=address,
        port=port,
        platform="huawei_smartax",
        data={"role": "olt", "vendor": "huawei", "model": "MA5800-X7", "site": "poa"},
    )


def stored_ports(db: Database) -> dict[str, int | None]:
    with db.engine.connect() as conn:
        return dict(conn.execute(select(olts.c.name, olts.c.mgmt_port)).all())


def test_an_older_store_gets_the_column_and_keeps_its_olts(store_url: str, tmp_path: Path) -> None:
    old = open_database(store_url, migrate=False)
    try:
        with old.engine.connect() as conn:
            command.upgrade(migrate.alembic_config(conn), "0010")
            conn.commit()
        with old.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO olts (name, vendor, model, site, mgmt_ip) "
                    "VALUES ('olt-poa-01', 'huawei', 'MA5800-X7', 'poa', '10.20.0.11')"
                )
            )
            olt_id = conn.execute(text("SELECT id FROM olts")).scalar_one()
            conn.execute(
                text("INSERT INTO pon_ports (olt_id, frame, slot, port) VALUES (:o, 0, 1, 0)"),
                {"o": olt_id},
            )
            pon_id = conn.execute(text("SELECT id FROM pon_ports")).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO onus (olt_id, pon_port_id, frame, slot, port, onu_index, serial, "
                    "state) VALUES (:o, :p, 0, 1, 0, 1, 'HWTC00000001', 'authorized')"
                ),
                {"o": olt_id, "p": pon_id},
            )
        assert "mgmt_port" not in {c["name"] for c in inspect(old.engine).get_columns("olts")}
    finally:
        old.close()

    upgraded = open_database(store_url)
    try:
        assert "mgmt_port" in {c["name"] for c in inspect(upgraded.engine).get_columns("olts")}
        assert stored_ports(upgraded) == {"olt-poa-01": None}
        with upgraded.engine.connect() as conn:
            # Adding the column left the OLT's PON ports and ONUs where they were.
            assert conn.execute(text("SELECT count(*) FROM pon_ports")).scalar_one() == 1
            assert conn.execute(text("SELECT serial FROM onus")).scalar_one() == "HWTC00000001"
            assert migrate.current_revision(conn) == migrate.head_revision()
    finally:
        upgraded.close()

    host = StoreInventory(store_url).load().hosts["olt-poa-01"]
    assert (host.hostname, host.port, host.data["pons"]) == ("10.20.0.11", None, ["0/1/0"])
    # Without a port the OLT is reached on SSH's 22 (a dry run says where, connecting nowhere).
    proc = Cli(tmp_path, store_url, None)(
        "run", "inventory-probe", "--source", "store", "--dry-run", "-o", "json", "-q"
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    [probe] = [r for r in json.loads(proc.stdout)["results"] if r["step"] == "probe"]
    assert probe["result"]["address"] == "10.20.0.11:22"


def test_sync_copies_the_port_and_reports_its_change(db: Database, store_url: str) -> None:
    first = sync_olts(db, [olt_host("olt-a", 10201), olt_host("olt-b")])
    assert first.created == ["olt-a", "olt-b"] and not first.problems
    assert stored_ports(db) == {"olt-a": 10201, "olt-b": None}

    again = sync_olts(db, [olt_host("olt-a", 10201), olt_host("olt-b", 2222)])
    assert again.unchanged == ["olt-a"]
    assert again.updated == {"olt-b": {"mgmt_port": {"from": None, "to": 2222}}}
    # A source that gives no port any more means the usual one: the store forgets it.
    back = sync_olts(db, [olt_host("olt-a"), olt_host("olt-b", 2222)], dry_run=True)
    assert back.updated == {"olt-a": {"mgmt_port": {"from": 10201, "to": None}}}
    assert stored_ports(db) == {"olt-a": 10201, "olt-b": 2222}

    hosts = StoreInventory(store_url).load().hosts
    assert (hosts["olt-a"].port, hosts["olt-b"].port) == (10201, 2222)


@pytest.mark.parametrize("port", [0, 65536, -22, "ssh", True])
def test_a_port_that_is_no_tcp_port_is_not_synced(db: Database, port: Any) -> None:
    report = sync_olts(db, [olt_host("olt-a", port), olt_host("olt-b", 65535)])
    assert report.problems == {"olt-a": f"port {port!r} is not a TCP port (1-65535)"}
    assert report.created == ["olt-b"]
    assert stored_ports(db) == {"olt-b": 65535}


def test_the_store_refuses_a_port_outside_1_65535(db: Database) -> None:
    for port in (0, 65536):
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(olts.insert().values(name="olt-x", vendor="zte", mgmt_port=port))
    assert stored_ports(db) == {}


def test_store_olts_of_the_running_lab_log_in_with_its_secrets(
    db: Database, store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / ".ispflow-lab"
    (state / "inventory").mkdir(parents=True)
    (state / "inventory" / "hosts.yaml").write_text(
        "olt-poa-01: {hostname: 127.0.0.1, port: 10201, platform: huawei_smartax}\n"
    )
    (state / "secrets.yaml").write_text("defaults: {username: lab, password: lab-pass}\n")
    (state / "server.json").write_text("{}\n")
    (tmp_path / "other-secrets.yaml").write_text("defaults: {username: noc, password: noc-pass}\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ISPFLOW_SECRETS", str(tmp_path / "other-secrets.yaml"))
    sync_olts(
        db,
        [
            olt_host("olt-poa-01", 10201, "127.0.0.1"),
            # Not at a lab device's address and port: the lab's login must not go there.
            olt_host("olt-poa-02", 10202, "127.0.0.1"),
            olt_host("olt-far", 10201, "10.20.0.11"),
        ],
    )
    hosts = open_nornir(source="store", db=store_url).inventory.hosts
    logins = {name: (host.username, host.password) for name, host in hosts.items()}
    assert logins == {
        "olt-poa-01": ("lab", "lab-pass"),
        "olt-poa-02": ("noc", "noc-pass"),
        "olt-far": ("noc", "noc-pass"),
    }
