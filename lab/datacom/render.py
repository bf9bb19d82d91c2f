"""DmOS output layouts, filled from the lab model.

The ONU table, the discovered-ONU table and one ONU's `Key : value` detail follow captured
DM46xx answers; `% No entries found.` (an empty list), `show version` and the curly-braces
form of the ONU table follow DmOS's documentation and tools' sources (no capture of them).
"""

from __future__ import annotations

from collections.abc import Sequence

from ispflow.lab.model import AutofindEntry, LabOlt, OnuReading, OnuView
from ispflow.lab.timefmt import stamp

NO_ENTRIES = "% No entries found."
# The DmOS generations the lab serves, by name, with what each prints differently: one so far
# (DmOS 9.x, whose layouts are this module's).
FIRMWARE: dict[str, str] = {"v9": "DmOS 9.x"}


def discovered(entries: list[AutofindEntry]) -> list[str]:
    if not entries:
        return [NO_ENTRIES]
    lines = [" Chassis / Slot / Port  Serial Number", " ---------------------  -------------"]
    lines += [f"       {entry.pon:<17}{entry.device.serial}" for entry in entries]
    return lines


def onu_table(views: Sequence[OnuView]) -> list[str]:
    if not views:
        return [NO_ENTRIES]
    lines = [
        "  Itf     ONU ID   Serial Number   Oper State   Software Download State      Name",
        "--------  ------   -------------   ----------   --------------------------   " + "-" * 48,
    ]
    for view in views:
        state = "Up" if view.online else "Down"
        row = f"{view.pon:<10}{view.onu_id:<9}{view.serial or '':<16}{state:<13}{'None':<29}"
        lines.append((row + name_of(view)).rstrip())
    return lines


def name_of(view: OnuView) -> str:
    for line in view.if_config:
        if line.startswith("name "):
            return line[5:]
    return ""


def _uptime(seconds: float) -> str:
    days, rest = divmod(int(max(seconds, 0)), 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return f"{days} days, {hours:02d}:{rest // 60:02d}"
    return f"{hours:02d}:{rest // 60:02d}" if hours else f"{rest // 60} min"


def onu_detail(view: OnuView, now: float) -> list[str]:
    """`show interface gpon P onu N`, each line after a TAB as the OLT prints it."""
    model = view.model
    reading = view.reading
    up = view.online and view.last_up is not None

    def dbm(value: float | None) -> str:
        return "N/A" if value is None else f"{value:.2f}"

    def field(label: str, value: object) -> str:
        return f"\t{label:<24}: {value}".rstrip()

    profile = next((line[13:] for line in view.if_config if line.startswith("line-profile ")), "")
    return [
        field("Last updated", stamp(now) + " UTC-3"),
        "",
        field("ID", view.onu_id),
        field("Serial Number", view.serial or ""),
        field("Password", ""),
        field("Uptime", _uptime(now - view.last_up) if up and view.last_up else "0 min"),
        field("Last Seen Online", "N/A"),
        field("Vendor ID", model.vendor_id if model else "N/A"),
        field("Equipment ID", model.equipment_id if model else "N/A"),
        field("Name", name_of(view)),
        field("Operational state", "Up" if view.online else "Down"),
        field("Primary status", "Active" if view.online else "Inactive"),
        field("Distance", f"{round((view.distance_m or 0) / 1000)} [km]" if up else "N/A [km]"),
        field("IPv4 mode", "Not configured"),
        field("Line Profile", profile),
        field("Service Profile", ""),
        field("SNMP", "Disabled"),
        field("Allocated bandwidth", "0 fixed, 0 assured+fixed [kbit/s]"),
        field("Upstream-FEC", "Enabled"),
        field("Anti Rogue ONU isolate", "Disabled"),
        field("Version", model.hardware if model else "N/A"),
        field("Active FW", f"{model.software} valid, committed" if model else "N/A N/A, N/A"),
        field(
            "Standby FW", f"{model.software} invalid, not committed" if model else "N/A N/A, N/A"
        ),
        field("Software Download State", "None"),
        field("Rx Optical Power [dBm]", dbm(reading.onu_rx_dbm if reading else None)),
        field("Tx Optical Power [dBm]", dbm(reading.onu_tx_dbm if reading else None)),
    ]


def onu_curly(pon: str, readings: list[OnuReading], views: dict[int, OnuView]) -> list[str]:
    """`show interface gpon P onu | display curly-braces`: every ONU with its optics. The
    leaves `primary-status` and `rx-optical-pw` are those a tool reads from this answer;
    `tx-optical-pw` is named after them."""
    if not readings:
        return [NO_ENTRIES]
    lines = ["interface {", f"    gpon {pon} {{"]
    for found in readings:
        view = views.get(found.onu_id)
        reading = found.reading
        lines += [
            f"        onu {found.onu_id} {{",
            f"            serial-number {view.serial if view else ''};",
            f"            primary-status {'active' if reading else 'inactive'};",
            f"            rx-optical-pw {f'{reading.onu_rx_dbm:.2f}' if reading else 'N/A'};",
            f"            tx-optical-pw {f'{reading.onu_tx_dbm:.2f}' if reading else 'N/A'};",
            "        }",
        ]
    return lines + ["    }", "}"]


def version(olt: LabOlt, now: float) -> list[str]:
    """`show version` as the lab prints it: no DM46xx answer has been captured, so only the
    model (as SNMP's system description names it) and the firmware are certain."""
    uptime = int(now - olt.started_at)
    days, rest = divmod(uptime, 86400)
    ports = olt.model.ports_per_board
    return [
        f"Equipment model   : {olt.model.name} {ports}GPON+8GX+4GT+2XS",
        f"Firmware version  : {olt.model.software}",
        f"Uptime            : {days} days, {rest // 3600:02d}:{rest % 3600 // 60:02d}",
    ]
