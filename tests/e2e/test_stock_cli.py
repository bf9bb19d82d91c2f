"""`ispflow stock ...` run as a user would: the real command in a subprocess, on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Cli

DELIVERY = (
    "\ufeffserial;mac;model;vendor;technology;received_on;note\n"
    "hwtc1a2b3c4d;;HG8245H;Huawei;GPON;24/11/2026;NF [1234]\n"
    "ZTEG00000001;00:11:22:33:44:55;F660;zte;;2026-11-20;\n"
)
CUSTOMERS = "customer_code,name,contract,status\nCLI-1,João da Silva,C-1001,pending\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_help_teaches_with_examples(sqlite_cli: Cli) -> None:
    shown = sqlite_cli("stock", "--help")
    assert shown.returncode == 0, shown.stderr
    for command in ("import", "export", "list", "show", "reserve", "release", "defective"):
        assert command in shown.stdout
    assert "ispflow stock reserve HWTC1A2B3C4D C-1042" in shown.stdout
    assert "installation" in sqlite_cli("stock", "reserve", "--help").stdout


def test_import_reserve_install_export(cli: Cli, tmp_path: Path) -> None:
    delivery = write(tmp_path / "entrega.csv", DELIVERY)
    dry = cli("stock", "import", str(delivery), "--dry-run", "-o", "json")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["added"] == 2
    assert json.loads(cli("stock", "list", "-o", "json").stdout) == []

    done = cli("stock", "import", str(delivery))
    assert done.returncode == 0, done.stderr
    assert "2 ONU(s) added" in done.stdout

    again = cli("stock", "import", str(delivery))
    assert again.returncode == 2
    assert f"{delivery}:2: serial: serial HWTC1A2B3C4D is already in the stock" in again.stderr
    assert "nothing was imported" in again.stderr

    listed = cli("stock", "list", "--state", "in_stock")
    assert listed.returncode == 0, listed.stderr
    assert "HWTC1A2B3C4D" in listed.stdout and "00:11:22:33:44:55" in listed.stdout

    assert cli("customer", "import", str(write(tmp_path / "c.csv", CUSTOMERS))).returncode == 0
    opened = cli(
        "ticket",
        "open",
        "-s",
        "Instalação",
        "--queue",
        "installation",
        "--contract",
        "C-1001",
        "--as",
        "ana",
        "-o",
        "json",
    )
    assert opened.returncode == 0, opened.stderr
    protocol = json.loads(opened.stdout)["protocol"]

    reserved = cli("stock", "reserve", "485754431A2B3C4D", "C-1001")
    assert reserved.returncode == 0, reserved.stderr
    assert f"is reserved for contract C-1001 (service order {protocol})" in reserved.stdout

    refused = cli("stock", "reserve", "HWTC1A2B3C4D", "C-1001")
    assert refused.returncode == 2
    assert "already reserved for contract C-1001" in refused.stderr

    wrong = cli("stock", "returned", "HWTC1A2B3C4D")
    assert wrong.returncode == 2
    assert "cannot go from reserved to returned" in wrong.stderr

    assert cli("stock", "installed", "HWTC1A2B3C4D").returncode == 0
    shown = json.loads(cli("stock", "show", "hwtc-1a2b3c4d", "-o", "json").stdout)
    assert (shown["state"], shown["contract"], shown["service_order"]) == (
        "installed",
        "C-1001",
        protocol,
    )
    assert shown["received_on"] == "2026-11-24"
    # A note is data, not markup.
    assert "NF [1234]" in cli("stock", "show", "HWTC1A2B3C4D").stdout

    broken = cli("stock", "defective", "00-11-22-33-44-55", "--note", "no PON light", "-o", "json")
    assert broken.returncode == 0, broken.stderr
    assert json.loads(broken.stdout)["state"] == "defective"

    export = tmp_path / "estoque.csv"
    assert cli("stock", "export", str(export)).returncode == 0
    assert export.stat().st_mode & 0o777 == 0o600  # customers' reservations
    lines = export.read_text(encoding="utf-8-sig").splitlines()
    assert lines == [
        "serial,mac,model,vendor,technology,received_on,note",
        "ZTEG00000001,00:11:22:33:44:55,F660,zte,GPON,2026-11-20,no PON light",
        "HWTC1A2B3C4D,,HG8245H,huawei,GPON,2026-11-24,NF [1234]",
    ]


def test_errors_exit_2_with_a_message(sqlite_cli: Cli, tmp_path: Path) -> None:
    missing = sqlite_cli("stock", "show", "HWTC00000000")
    assert missing.returncode == 2
    assert "no ONU 'HWTC00000000' in the stock" in missing.stderr
    bad_date = sqlite_cli("stock", "list", "--since", "ontem")
    assert bad_date.returncode == 2 and "not a date" in bad_date.stderr
    bad = write(tmp_path / "bad.csv", "serial,model\nHWTC00000001,X\nnope,X\n")
    skipped = sqlite_cli("stock", "import", str(bad), "--skip-bad")
    assert skipped.returncode == 1
    assert f"{bad}:3: serial: 'nope' is not a GPON serial" in skipped.stderr
    assert "1 ONU(s) added from 2 row(s), 1 bad row(s) skipped" in skipped.stdout
