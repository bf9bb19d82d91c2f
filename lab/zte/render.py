"""ZTE ZXA10 (C300/C320 and C600) output layouts, filled from the lab model.

Three-decimal powers with a lowercase `(dbm)` suffix, `N/A` for dark ONUs, and the
`%Code 32310-GPONSRV` answer for empty lists, as the real boxes print them. Where software
generations print differently (`Firmware`), the OLT's generation decides.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ispflow.lab.model import AutofindEntry, LabOlt, OnuReading, OnuView
from ispflow.lab.timefmt import stamp

NO_INFO = "%Code 32310-GPONSRV : No related information to show."
# Newer software numbers the same answer differently; it still means "nothing to show".
NO_INFO_NEW = "%Code 62310-GPONSRV : No related information to show."
ZERO_TIME = "0000-00-00 00:00:00"


class Naming:
    """C300/C320 write `gpon-olt_1/1/1` and `gpon-onu_1/1/1:5`; C600 `gpon_olt-…`, `gpon_onu-…`."""

    def __init__(self, c600: bool) -> None:
        self.c600 = c600
        self.olt_prefix = "gpon_olt-" if c600 else "gpon-olt_"
        self.onu_prefix = "gpon_onu-" if c600 else "gpon-onu_"
        self._olt_re = re.compile(rf"^{re.escape(self.olt_prefix)}(\d+/\d+/\d+)$", re.I)
        self._onu_re = re.compile(rf"^{re.escape(self.onu_prefix)}(\d+/\d+/\d+):(\d+)$", re.I)

    def olt_if(self, pon: str) -> str:
        return f"{self.olt_prefix}{pon}"

    def onu_if(self, pon: str, onu_id: int) -> str:
        return f"{self.onu_prefix}{pon}:{onu_id}"

    def parse_olt(self, text: str) -> str | None:
        match = self._olt_re.match(text)
        return match[1] if match else None

    def parse_onu(self, text: str) -> tuple[str, int] | None:
        match = self._onu_re.match(text)
        return (match[1], int(match[2])) if match else None


def duration(seconds: float) -> str:
    hours, rest = divmod(int(max(seconds, 0)), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s"


def uncfg(entries: list[AutofindEntry], naming: Naming, no_info: str = NO_INFO) -> list[str]:
    if not entries:
        return [no_info]
    lines = ["OnuIndex                 Sn                  State", "-" * 69]
    numbers: dict[str, int] = {}
    for entry in entries:
        numbers[entry.pon] = numbers.get(entry.pon, 0) + 1
        index = naming.onu_if(entry.pon, numbers[entry.pon])
        lines.append(f"{index:<25}{entry.device.serial:<20}unknown")
    return lines


def _phase(view: OnuView) -> str:
    if view.online:
        return "working"
    if not view.ever_up:
        return "OffLine"
    return "DyingGasp" if view.down_cause == "dying-gasp" else "LOS"


def _omcc(view: OnuView) -> str:
    return "enable" if view.online else "disable"


def _short_index(view: OnuView) -> str:
    """Newer software writes the ONU as `1/1/1:5`, without the interface prefix."""
    return f"{view.pon}:{view.onu_id}"


def _state_o7(views: list[OnuView], naming: Naming) -> list[str]:
    lines = ["OnuIndex               Admin State  OMCC State   O7 State     Phase State", "-" * 76]
    for view in views:
        o7 = "operation" if view.online else "unknown"
        index = naming.onu_if(view.pon, view.onu_id)
        lines.append(f"{index:<23}{'enable':<13}{_omcc(view):<13}{o7:<13}{_phase(view)}")
    return lines


def _state_channel(views: list[OnuView], naming: Naming) -> list[str]:
    """V2.x: a channel column instead of O7 and a footer of online/listed ONUs; the rows
    start one column to the right of the header, as the boxes print them."""
    lines = ["OnuIndex   Admin State  OMCC State  Phase State  Channel    ", "-" * 62]
    for view in views:
        row = f"{_short_index(view):<12}{'enable':<13}{_omcc(view):<12}{_phase(view):<13}"
        lines.append(row + "1(GPON)")
    online = sum(view.online for view in views)
    return lines + [f"ONU Number: {online}/{len(views)}"]


def _state_speed(views: list[OnuView], naming: Naming) -> list[str]:
    """TITAN (C600): lowercase column words and a speed-mode column, no footer."""
    lines = ["OnuIndex     Admin state  OMCC state  Phase state  Speed mode", "-" * 65]
    for view in views:
        row = f"{_short_index(view):<13}{'enable':<13}{_omcc(view):<12}{_phase(view):<13}"
        lines.append(row + "GPON")
    return lines


@dataclass(frozen=True)
class Firmware:
    """What one ZXA10 software generation changes in the layouts the lab serves."""

    no_info: str  # the answer of a show command with nothing to show
    state_table: Callable[[list[OnuView], Naming], list[str]]  # `show gpon onu state`


FIRMWARE: dict[str, Firmware] = {
    "v1": Firmware(NO_INFO, _state_o7),
    "v2": Firmware(NO_INFO_NEW, _state_channel),
    "titan": Firmware(NO_INFO_NEW, _state_speed),
}


def firmware(olt: LabOlt) -> Firmware:
    return FIRMWARE[olt.firmware]


def state(views: list[OnuView], naming: Naming, generation: Firmware = FIRMWARE["v1"]) -> list[str]:
    if not views:
        return [generation.no_info]
    return generation.state_table(views, naming)


def power_table(
    views: Sequence[OnuReading | OnuView], naming: Naming, which: str, no_info: str = NO_INFO
) -> list[str]:
    """`show pon power onu-rx|onu-tx|olt-rx` over a port or for one ONU."""
    if not views:
        return [no_info]
    label = "Tx power" if which == "onu-tx" else "Rx power"
    lines = [f"Onu                 {label}   ", "-" * 36]
    for view in views:
        lines.append(f"{naming.onu_if(view.pon, view.onu_id):<20}{_power(view, which)}")
    return lines


def _power(view: OnuReading | OnuView, which: str) -> str:
    reading = view.reading
    if reading is None:
        return "N/A"
    value = {
        "onu-rx": reading.onu_rx_dbm,
        "onu-tx": reading.onu_tx_dbm,
        "olt-rx": reading.olt_rx_dbm,
    }[which]
    return f"{value:.3f}(dbm)"


def olt_rx(view: OnuView) -> list[str]:
    return [f"Rx power: {_power(view, 'olt-rx')}"]


def attenuation(view: OnuView) -> list[str]:
    r = view.reading

    def dbm(value: float | None) -> str:
        return "N/A" if value is None else f"{value:.3f}(dbm)"

    def db(value: float | None) -> str:
        return "N/A" if value is None else f"{value:.3f}(dB)"

    up_rx = dbm(r.olt_rx_dbm if r else None)
    up_tx = "Tx:" + dbm(r.onu_tx_dbm if r else None)
    down_tx = dbm(r.olt_tx_dbm if r else None)
    down_rx = "Rx:" + dbm(r.onu_rx_dbm if r else None)
    return [
        "           OLT                  ONU              Attenuation",
        "-" * 74,
        f" up      Rx :{up_rx:<18}{up_tx:<21}{db(r.up_attenuation_db if r else None)}",
        "",
        f" down    Tx :{down_tx:<18}{down_rx:<21}{db(r.down_attenuation_db if r else None)}",
    ]


def detail(view: OnuView, naming: Naming, now: float) -> list[str]:
    """`show gpon onu detail-info`: these lines end in CR CR LF on the real boxes."""
    name = _config_value(view.if_config, "name") or f"ONU-{view.pon.split('/')[-1]}:{view.onu_id}"

    def field(label: str, value: object) -> str:
        return f"  {label + ':':<21}{value}"

    reading = view.reading
    lines = [
        "",
        f"{'ONU interface:':<23}{naming.onu_if(view.pon, view.onu_id)}",
        field("Name", name),
        field("Type", view.onu_type or "GPON"),
        field("State", "ready"),
        field("Admin state", "enable"),
        field("Phase state", _phase(view)),
        field("Authentication mode", "sn"),
        field("SN Bind", "enable with SN check"),
        field("Serial number", view.serial or ""),
        field("Password", ""),
        field("Device ID", ""),
        field("Description", view.description),
        field("Vport mode", "gemport"),
        field("DBA Mode", "Hybrid"),
        field("ONU Status", "enable"),
        field("OMCI BW Profile", "enable"),
        field("Line Profile", "N/A"),
        field("Service Profile", "N/A"),
        field("Alarm Profile", "N/A"),
        field("Performance Profile", "N/A"),
        field("ONU Distance", f"{reading.distance_m}m" if reading else ""),
        field(
            "Online Duration",
            duration(now - view.last_up) if view.online and view.last_up else "",
        ),
        field("FEC", "none"),
        field("1PPS+ToD", "disable"),
        "-" * 42,
        "       Authpass Time          OfflineTime             Cause",
    ]
    cause = "DyingGasp" if view.down_cause == "dying-gasp" else "LOS"
    history: list[tuple[str, str, str]] = []
    if view.last_up is not None:
        still_up = view.online or view.last_down is None or view.last_down < view.last_up
        history.append(
            (
                stamp(view.last_up),
                ZERO_TIME if still_up else stamp(view.last_down),
                "" if still_up else cause,
            )
        )
        if still_up and view.last_down is not None:
            history.append((stamp(view.added_at), stamp(view.last_down), cause))
    while len(history) < 10:
        history.append((ZERO_TIME, ZERO_TIME, ""))
    for number, (up, down, why) in enumerate(history[:10], start=1):
        lines.append(f"{number:>4}   {up:<23}{down:<24}{why:<9}")
    return [line + "\r" for line in lines]


def by_sn(view: OnuView | None, naming: Naming, no_info: str = NO_INFO) -> list[str]:
    if view is None:
        return [no_info]
    return ["SearchResult          ", "-" * 17, naming.onu_if(view.pon, view.onu_id)]


def running_config(view: OnuView, naming: Naming) -> list[str]:
    lines = ["Building configuration...", "!", f"interface {naming.onu_if(view.pon, view.onu_id)}"]
    lines += [f"  {line}" for line in view.if_config]
    lines += [
        f"  service-port {sp.index} vport {sp.gemport} user-vlan {sp.user_vlan} vlan {sp.vlan}"
        for sp in view.service_ports
    ]
    return lines + ["!", "end"]


def pon_running_config(pon: str, views: list[OnuView], naming: Naming) -> list[str]:
    """A PON's configuration: its ONUs as they were added (`onu N type T sn S`)."""
    lines = ["Building configuration...", f"interface {naming.olt_if(pon)}", "  no shutdown"]
    for view in sorted(views, key=lambda v: v.onu_id):
        key = f"sn {view.serial}" if view.serial else f"mac {view.mac}"
        lines.append(f"  onu {view.onu_id} type {view.onu_type} {key}")
    return lines + ["!", "end"]


def onu_running_config(view: OnuView, naming: Naming) -> list[str]:
    lines = [f"pon-onu-mng {naming.onu_if(view.pon, view.onu_id)}"]
    lines += [f"  {line}" for line in view.mng_config]
    return lines + ["!"]


def version(olt: LabOlt, now: float) -> list[str]:
    uptime = int(now - olt.started_at)
    days, rest = divmod(uptime, 86400)
    hours, rest = divmod(rest, 3600)
    return [
        f" ZXA10 {olt.model.name} Software, Version: {olt.model.software}{olt.model.patch}, Release software",
        " Copyright (c) 2000-2021 by ZTE Corporation",
        "",
        f" System uptime is {days} days {hours} hours {rest // 60} minutes {rest % 60} seconds",
    ]


def _config_value(lines: tuple[str, ...], key: str) -> str | None:
    for line in lines:
        if line.startswith(key + " "):
            return line[len(key) + 1 :]
    return None
