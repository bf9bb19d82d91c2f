"""OLT drivers, command side: what each vendor is sent for a vendor-neutral request."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ispflow.core.guard import UnsafeValueError
from ispflow.core.paths import INVENTORY_DIR
from ispflow.plugins.olt.driver import AuthorizeRequest, OltDriver, PonPort
from ispflow.plugins.olt.huawei.driver import HuaweiDriver, mac_dotted, serial_hex
from ispflow.plugins.olt.zte.driver import ZteDriver
from ispflow.tasks.signal import classify


def request(**overrides: object) -> AuthorizeRequest:
    values: dict = {
        "port": PonPort.parse("0/1/3"),
        "onu_id": 7,
        "vlan": 120,
        "serial": "HWTC1A2B3C4D",
        "description": "Joao da Silva",
    }
    values.update(overrides)
    return AuthorizeRequest(**values)  # type: ignore[arg-type]


def test_huawei_authorize_lines() -> None:
    lines = HuaweiDriver("MA5800-X7").authorize(request())
    assert lines == [
        "config",
        "interface gpon 0/1",
        'ont add 3 7 sn-auth 485754431A2B3C4D omci ont-lineprofile-id 1 ont-srvprofile-id 1 desc "Joao da Silva"',
        "quit",
        "service-port vlan 120 gpon 0/1/3 ont 7 gemport 1 multi-service user-vlan 120 tag-transform translate",
        "return",
    ]


def test_huawei_mac_auth_and_formats() -> None:
    lines = HuaweiDriver().authorize(request(serial=None, mac="aa:bb:cc:dd:ee:01"))
    assert "ont add 3 7 mac-auth aabb-ccdd-ee01 omci" in lines[2]
    assert serial_hex("ZTEGC0000001") == "5A544547C0000001"
    assert serial_hex("485754431A2B3C4D") == "485754431A2B3C4D"
    assert mac_dotted("AA-BB-CC-DD-EE-FF") == "aabb-ccdd-eeff"


def test_huawei_bulk_reads_enter_each_board_once() -> None:
    ports = [PonPort.parse(p) for p in ("0/1/0", "0/1/1", "0/2/5")]
    steps = HuaweiDriver().optical_ports(ports)
    assert [(s.line, str(s.pon) if s.pon else None) for s in steps] == [
        ("config", None),
        ("display ont info summary 0/1/0", "0/1/0"),
        ("display ont info summary 0/1/1", "0/1/1"),
        ("interface gpon 0/1", None),
        ("display ont optical-info 0 all", "0/1/0"),
        ("display ont optical-info 1 all", "0/1/1"),
        ("quit", None),
        ("display ont info summary 0/2/5", "0/2/5"),
        ("interface gpon 0/2", None),
        ("display ont optical-info 5 all", "0/2/5"),
        ("quit", None),
        ("return", None),
    ]


def test_huawei_deauthorize_removes_service_ports_first() -> None:
    assert HuaweiDriver().deauthorize(PonPort.parse("0/2/15"), 4) == [
        "config",
        "undo service-port port 0/2/15 ont 4",
        "interface gpon 0/2",
        "ont delete 15 4",
        "return",
    ]


@pytest.mark.parametrize(
    ("model", "olt_if", "onu_if"),
    [
        ("C320", "gpon-olt_1/1/3", "gpon-onu_1/1/3:7"),
        ("C600", "gpon_olt-1/1/3", "gpon_onu-1/1/3:7"),
    ],
)
def test_zte_naming_by_model(model: str, olt_if: str, onu_if: str) -> None:
    driver = ZteDriver(model)
    lines = driver.authorize(request(port=PonPort.parse("1/1/3"), serial="ZTEGC0000001"))
    assert lines[1] == f"interface {olt_if}"
    assert lines[2] == "onu 7 type ZTE-F660 sn ZTEGC0000001"
    assert lines[4] == f"interface {onu_if}"
    assert "name Joao_da_Silva" in lines
    assert "service-port 1 vport 1 user-vlan 120 vlan 120" in lines
    steps = driver.optical_ports([PonPort.parse("1/1/3")])
    assert [(s.line, str(s.pon)) for s in steps] == [
        (f"show running-config interface {olt_if}", "1/1/3"),
        (f"show pon power onu-rx {olt_if}", "1/1/3"),
    ]
    assert driver.optical_onu(PonPort.parse("1/1/3"), 7) == [f"show pon power attenuation {onu_if}"]


@pytest.mark.parametrize("bad", ['x"\nundo ont 0', "a;b", "x\rdelete", "what?"])
def test_injection_in_description_is_refused(bad: str) -> None:
    with pytest.raises(UnsafeValueError) as caught:
        HuaweiDriver().authorize(request(description=bad))
    assert caught.value.name == "description"


def test_huawei_onu_services_reads_the_whole_pon_once() -> None:
    driver = HuaweiDriver("MA5608T")
    expected = ["display service-port port 0/2/15"]
    assert driver.onu_services(PonPort.parse("0/2/15"), [0, 3, 9]) == expected
    assert driver.onu_services(PonPort.parse("0/2/15"), []) == expected


@pytest.mark.parametrize(
    ("model", "onu_if"), [("C320", "gpon-onu_1/1/3:{}"), ("C600", "gpon_onu-1/1/3:{}")]
)
def test_zte_onu_services_reads_each_onu(model: str, onu_if: str) -> None:
    lines = ZteDriver(model).onu_services(PonPort.parse("1/1/3"), [2, 5])
    assert lines == [
        f"show running-config interface {onu_if.format(2)}",
        f"show running-config interface {onu_if.format(5)}",
    ]


def test_huawei_describe_ends_where_authorize_ends() -> None:
    lines = HuaweiDriver().describe(PonPort.parse("0/1/3"), 7, "C-1007 Joao da Silva")
    assert lines == [
        "config",
        "interface gpon 0/1",
        'ont modify 3 7 desc "C-1007 Joao da Silva"',
        "return",
    ]
    assert lines[-1] == HuaweiDriver().authorize(request())[-1]


@pytest.mark.parametrize(
    ("model", "onu_if"), [("C320", "gpon-onu_1/1/3:7"), ("C600", "gpon_onu-1/1/3:7")]
)
def test_zte_describe_names_the_onu_as_authorize_does(model: str, onu_if: str) -> None:
    driver = ZteDriver(model)
    lines = driver.describe(PonPort.parse("1/1/3"), 7, "Joao da Silva")
    assert lines == ["configure terminal", f"interface {onu_if}", "name Joao_da_Silva", "end"]
    authorize = driver.authorize(request(port=PonPort.parse("1/1/3"), serial="ZTEGC0000001"))
    assert "name Joao_da_Silva" in authorize and authorize[-1] == lines[-1]


@pytest.mark.parametrize("driver", [HuaweiDriver(), ZteDriver("C320"), ZteDriver("C600")])
@pytest.mark.parametrize("bad", ['x"\nundo ont 0', "a\nb", "a;b", "x\rdelete", "what?", "t\tab"])
def test_injection_in_a_new_description_is_refused(driver: OltDriver, bad: str) -> None:
    # ZTE turns blanks into "_": the raw text is checked first, so a newline never slips by.
    with pytest.raises(UnsafeValueError) as caught:
        driver.describe(PonPort.parse("1/1/3"), 7, bad)
    assert caught.value.name == "description"
    assert isinstance(caught.value, ValueError)
    with pytest.raises(UnsafeValueError):
        driver.authorize(request(port=PonPort.parse("1/1/3"), description=bad))


def test_errors_are_recognised_per_vendor() -> None:
    assert HuaweiDriver().refused("  Failure: SN already exists\n") == "Failure: SN already exists"
    assert HuaweiDriver().refused("  Number of ONTs that can be added: 1, success: 1") is None
    assert (
        ZteDriver()
        .refused("%Error 140303: Invalid input detected at '^' marker.")
        .startswith("%Error")
    )
    assert ZteDriver().refused("%Code 32310-GPONSRV : No related information to show.") is None


def test_bad_port_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="'0/1' is not frame/slot/port such as 0/1/3"):
        PonPort.parse("0/1")


@pytest.mark.parametrize(
    ("rx", "expected"),
    [
        (None, "offline"),
        (-7.5, "overload"),
        (-8.0, "good"),
        (-25.0, "good"),
        (-25.01, "warning"),
        (-27.0, "warning"),
        (-27.5, "critical"),
    ],
)
def test_signal_classes(rx: float | None, expected: str) -> None:
    assert classify(rx) == expected


def test_dry_run_of_the_shipped_runbook_on_the_bundled_inventory(tmp_path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ispflow", "run", "onu-authorize", "-e", "olt=olt-cwb-02", "-e", "port=1/1/2",
         "-e", "serial=ZTEGC0000009", "-e", "vlan=300", "--dry-run", "-q", "-o", "json",
         "--db", f"sqlite:///{tmp_path / 's.db'}", "--inventory", str(INVENTORY_DIR)],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    done = [r for r in report["results"] if r["status"] == "ok"]
    assert [(r["host"], r["step"]) for r in done] == [
        ("olt-cwb-02", "what to install"),
        ("olt-cwb-02", "check the ONU is free"),
        ("olt-cwb-02", "authorize"),
        ("olt-cwb-02", "record the ONU"),
    ]
    assert done[3]["result"]["would_record"]["serial"] == "ZTEGC0000009"
    commands = done[2]["result"]["commands"]
    assert "interface gpon_olt-1/1/2" in commands  # the bundled olt-cwb-02 is a C600
    # The id is the PON's lowest free one at run time: a dry run says so, never guesses one.
    assert "onu <free-id> type ZTE-F660 sn ZTEGC0000009" in commands


def test_injection_through_the_runbook_never_reaches_a_device(tmp_path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ispflow", "run", "onu-authorize", "-e", "olt=olt-poa-01",
         "-e", "serial=HWTC1A2B3C4D", "-e", 'description=x"\nundo ont 0', "-q", "-o", "json",
         "--db", f"sqlite:///{tmp_path / 's.db'}", "--inventory", str(INVENTORY_DIR)],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    # Refused when the vars are checked, naming the var given; no host runs.
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "var 'description':" in proc.stdout + proc.stderr
