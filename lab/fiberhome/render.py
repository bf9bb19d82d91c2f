"""FiberHome AN5516 output layouts, filled from the lab model, in both firmware generations.

Layouts of `show discovery`, `show authorization`, `show whitelist phy_addr` and
`show optic_module` follow answers captured from real OLTs (test fixtures and pastes); the
tab before each optic unit, `,ITEM=0-----` and the trailing ` , ` of the older tables
included. `show onu_config`, `show version` and `show running-config` have no captured
output: their layouts are the lab's own (docs/olt.md says so).

Serials are printed as the OLT prints them: the hex part in lowercase (`FHTT9d7c9f80`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ispflow.lab.model import AutofindEntry, LabOlt, OnuView

SUCCESS = "Command executes success."
LEGEND = "A: Authorized  P: Preauthorized  R: System Reserved"


def shown_serial(serial: str | None) -> str:
    """The model's serial as the AN5516 prints it."""
    return "" if not serial else serial[:4] + serial[4:].lower()


def _slot_pon(pon: str) -> tuple[int, int]:
    _frame, slot, port = pon.split("/")
    return int(slot), int(port)


def _ost(view: OnuView) -> str:
    return "up" if view.online else "dn"


# -- older firmware (`link`) ------------------------------------------------------------------
def _unauth_link(pon: str, entries: list[AutofindEntry]) -> list[str]:
    slot, port = _slot_pon(pon)
    lines = [f"-----  ONU Unauth Table ,SLOT={slot} PON={port} ,ITEM={len(entries)}-----"]
    if entries:
        lines += [
            "NO       TYPE           PHY_ID        PWD           SN LOID, SN PWD",
            "--  --------------  ------------  ----------  --------------------------",
        ]
        for number, entry in enumerate(entries, 1):
            kind = entry.device.model.onu_type
            lines.append(
                f"{number:02d}  {kind:<16}{shown_serial(entry.device.serial):<14}{'':12}, "
            )
    return lines


def _auth_link(pon: str, views: list[OnuView], total: int) -> list[str]:
    slot, port = _slot_pon(pon)
    lines = [f"-----  ONU Auth Table ,SLOT={slot} PON={port} ,ITEM={len(views)} -----"]
    if not views:
        return lines
    lines += [
        "SLOT PON ONU     TYPE       ST OST  PHY_ID       PWD       SN LOID, SN PWD",
        "---- --- --- -------------- -- --- ------------ ---------- --------------------",
    ]
    for view in views:
        lines.append(
            f"{slot:>4} {port:>3} {view.onu_id:>3} {view.onu_type or 'unknown':<15} A "
            f"{_ost(view):<3} {shown_serial(view.serial):<12}{'':12}, "
        )
    return lines + ["", LEGEND]


# -- newer firmware (`pon`) -------------------------------------------------------------------
def _unauth_pon(pon: str, entries: list[AutofindEntry]) -> list[str]:
    slot, port = _slot_pon(pon)
    lines = [
        f"----- ONU Unauth Table, SLOT = {slot}, PON = {port}, ITEM = {len(entries)} -----",
        "No  OnuType        PhyId        PhyPwd     LogicId                  LogicPwd     Why ",
        "--- -------------- ------------ ---------- ------------------------ ------------ ---",
    ]
    for number, entry in enumerate(entries, 1):
        kind = entry.device.model.onu_type
        serial = shown_serial(entry.device.serial)
        lines.append(f"{number:<4}{kind:<15}{serial:<13}{'':<11}{'':<25}{'':<13}1   ")
    return lines + [""]


def _auth_pon(pon: str, views: list[OnuView], total: int) -> list[str]:
    slot, port = _slot_pon(pon)
    lines = [
        f"-----  ONU Auth Table, Total ITEM = {total} -----",
        "",
        LEGEND,
        "",
        f"-----  ONU Auth Table, SLOT = {slot}, PON = {port}, ITEM = {len(views)} -----",
        "Slot Pon Onu OnuType        ST Lic OST PhyId        PhyPwd     LogicId                  "
        "LogicPwd     ",
        "---- --- --- -------------- -- --- --- ------------ ---------- ------------------------ "
        "------------",
    ]
    for view in views:
        lines.append(
            f"{slot:<5}{port:<4}{view.onu_id:<4}{view.onu_type or 'unknown':<15}A  1   "
            f"{_ost(view):<4}{shown_serial(view.serial):<13}"
        )
    return lines


@dataclass(frozen=True)
class Firmware:
    """What one AN5516 software generation changes in the words and layouts the lab serves."""

    pon_word: str  # how a command names a PON: `slot S pon P` or `slot S link L`
    directory: str  # the ONU directory: `cd onu` or `cd gpononu`
    unauth_table: Callable[[str, list[AutofindEntry]], list[str]]
    auth_table: Callable[[str, list[OnuView], int], list[str]]
    # What it prints after a command that worked (newer firmware says so, older says nothing).
    success: tuple[str, ...]
    # Whether `show discovery slot all …` lists the PONs with nothing waiting too.
    every_pon: bool


FIRMWARE: dict[str, Firmware] = {
    "pon": Firmware("pon", "onu", _unauth_pon, _auth_pon, (SUCCESS,), False),
    "link": Firmware("link", "gpononu", _unauth_link, _auth_link, (), True),
}


def firmware(olt: LabOlt) -> Firmware:
    return FIRMWARE[olt.firmware]


def discovery(
    generation: Firmware, pons: list[str], entries: list[AutofindEntry], every_pon: bool
) -> list[str]:
    lines: list[str] = []
    for pon in pons:
        mine = [entry for entry in entries if entry.pon == pon]
        if mine or every_pon:
            lines += generation.unauth_table(pon, mine)
    return lines + list(generation.success)


def authorization(
    generation: Firmware, pons: list[str], views: list[OnuView], total: int
) -> list[str]:
    lines: list[str] = []
    for pon in pons:
        lines += generation.auth_table(pon, [view for view in views if view.pon == pon], total)
    return lines + list(generation.success)


def whitelist(views: list[OnuView]) -> list[str]:
    """`show whitelist phy_addr`, by place, as the OLT prints it under its config."""
    lines = [
        " ----- Physical Address Whitelist -----",
        "Slot  Pon   Onu   Onu-Type       Phy-ID       Phy-Pwd    Used",
        "----- ----- ----- -------------- ------------ ---------- ----",
    ]
    for view in views:
        slot, port = _slot_pon(view.pon)
        lines.append(
            f"{slot:<6}{port:<6}{view.onu_id:<6}{view.onu_type or 'null':<15}"
            f"{shown_serial(view.serial):<13}{'':<11}{'Y' if view.ever_up else 'N'}"
        )
    return lines


def optic_module(view: OnuView) -> list[str]:
    """One ONU's optics, with the tab before each unit the OLT prints."""
    reading = view.reading
    assert reading is not None  # the CLI refuses an offline ONU first
    slot, port = _slot_pon(view.pon)
    return [
        "",
        f"-----  ONU OPTIC MODULE PAR INFO {slot}.{port}.{view.onu_id}-----",
        "NAME          VALUE\tUNIT",
        "---------------------------------------",
        "TYPE         : 20\t(KM)",
        f"TEMPERATURE  : {reading.temperature_c:.2f}\t('C)",
        f"VOLTAGE      : {reading.voltage_v:5.2f}\t(V)",
        f"BIAS CURRENT : {reading.bias_ma:.2f}\t(mA)",
        f"SEND POWER   : {reading.onu_tx_dbm:5.2f}\t(Dbm)",
        f"RECV POWER   : {reading.onu_rx_dbm:5.2f}\t(Dbm)",
        f"OLT RECV POWER : {reading.olt_rx_dbm:5.2f}\t(Dbm)",
        "",
    ]


def onu_config(view: OnuView) -> list[str]:
    """`show onu_config` (the lab's own layout): description and VLAN services."""
    slot, port = _slot_pon(view.pon)
    lines = [
        f"-----  ONU Config ,SLOT={slot} PON={port} ONU={view.onu_id} -----",
        f"Description : {view.description}",
    ]
    for sp in sorted(view.service_ports, key=lambda sp: sp.index):
        lines.append(f"Port 1 Service {sp.index} : vlan_mode tag 0 33024 {sp.vlan}")
    return lines


def version(olt: LabOlt, now: float) -> list[str]:
    """`show version` (the lab's own layout)."""
    up = int(max(now - olt.started_at, 0))
    days, rest = divmod(up, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    return [
        "---------- System Version ----------",
        f"Device Type      : {olt.model.name}",
        f"Software Version : {olt.model.software}",
        "Hardware Version : WKE2.115.286R1A",
        f"Up Time          : {days} days {hours:02d}:{minutes:02d}:{seconds:02d}",
    ]
