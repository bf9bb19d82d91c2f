"""SmartAX output layouts (MA5600T/MA5608T/MA5800), filled from the lab model.

Column widths, separators, `0/ 1/0` port spelling, two-decimal dBm and `-` for dark ONTs
follow what the real boxes print, so parsers written against real transcripts read these.
Where software generations print differently (`Firmware`), the OLT's generation decides.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ispflow.lab.model import AutofindEntry, LabOlt, OnuReading, OnuView, ServicePort
from ispflow.lab.timefmt import stamp

# SmartAX moves the cursor back over a padding space in some lines (space, ESC[1D);
# netmiko removes the pair, other clients see it.
CURSOR_QUIRK = " \x1b[1D"
SEP = "  " + "-" * 77
SEP_WIDE = "  " + "-" * 78
SEP_AUTOFIND = "   " + "-" * 76


def duration(seconds: float) -> str:
    days, rest = divmod(int(max(seconds, 0)), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{days} day(s), {hours} hour(s), {minutes} minute(s), {secs} second(s)"


def spaced(pon: str) -> str:
    """Tables write F/S/P with the slot right-aligned in two columns: 0/ 1/0."""
    frame, slot, port = pon.split("/")
    return f"{frame}/{int(slot):>2}/{port}"


def mac(value: str) -> str:
    digits = value.replace(":", "").upper()
    return f"{digits[0:4]}-{digits[4:8]}-{digits[8:12]}"


def sn_field(view: OnuView) -> str:
    if view.serial:
        return f"{serial_hex(view.serial)} ({view.serial[:4]}-{view.serial[4:]})"
    return "-"


def serial_hex(serial: str) -> str:
    return serial[:4].encode("ascii").hex().upper() + serial[4:]


def failure(text: str) -> list[str]:
    return [f"  Failure: {text}"]


@dataclass(frozen=True)
class Firmware:
    """What one SmartAX software generation changes in the layouts the lab serves."""

    no_autofind: str  # the failure text of an empty `display ont autofind`
    dark_optics_rows: bool  # bulk optical-info prints `-` rows for offline ONTs (else omits them)


FIRMWARE: dict[str, Firmware] = {
    "r018": Firmware("Automatically found ONTs do not exist", dark_optics_rows=True),
    "r019": Firmware("The automatically found ONTs do not exist", dark_optics_rows=False),
}


def firmware(olt: LabOlt) -> Firmware:
    return FIRMWARE[olt.firmware]


def _spread(seed: str, low: int, high: int) -> int:
    """A stable per-ONU number (memory, CPU): the same ONU answers the same way every time."""
    digest = hashlib.blake2s(seed.encode(), digest_size=4).digest()
    return low + int.from_bytes(digest, "big") % (high - low + 1)


# -- discovery and provisioning ----------------------------------------------------------
def autofind(entries: list[AutofindEntry], olt: LabOlt) -> list[str]:
    if not entries:
        return failure(firmware(olt).no_autofind)
    nni = olt.model.name.startswith("MA5800")
    lines = [SEP_AUTOFIND]
    for number, entry in enumerate(entries, start=1):
        device = entry.device
        lines += [f"   Number              : {number}", f"   F/S/P               : {entry.pon}"]
        if nni:
            lines.append("   ONT NNI type        : 2.5G/1.25G")
        lines += [
            f"   Ont SN              : {device.serial_hex} ({device.vendor_id}-{device.serial[4:]})",
            "   Password            : 0x00000000000000000000",
            "   Loid                :",
            "   Checkcode           :",
            f"   VendorID            : {device.vendor_id}",
            f"   Ont Version         : {device.model.hardware}",
            f"   Ont SoftwareVersion : {device.model.software}",
            f"   Ont EquipmentID     : {device.model.equipment_id}",
            "   Ont Customized Info : COMMON",
            f"   Ont MAC             : {mac(device.mac)}",
            f"   Ont Equipment SN    : {device.equipment_sn}",
            f"   Ont autofind time   : {stamp(device.found_at, offset=True)}",
            "   Multi channel       : -",
            SEP_AUTOFIND,
        ]
    return lines


def ont_added(port: int, onu_id: int) -> list[str]:
    return [
        "  Number of ONTs that can be added: 1, success: 1",
        f"  PortID :{port}, ONTID :{onu_id}",
    ]


def ont_deleted(total: int, success: int) -> list[str]:
    return [f"  Number of ONTs that can be deleted: {total}, success: {success}"]


# -- ONT information ----------------------------------------------------------------------
def _states(view: OnuView) -> tuple[str, str, str]:
    if view.online:
        return "online", "normal", "match"
    return "offline", "initial", "initial"


def ont_table(pon: str, views: list[OnuView]) -> list[str]:
    """`display ont info F S P all`: state table, description table, totals."""
    lines = [
        SEP,
        "  F/S/P   ONT         SN         Control     Run      Config   Match    Protect",
        "          ID                     flag        state    state    state    side",
        SEP,
    ]
    for view in views:
        run, config, match = _states(view)
        sn = serial_hex(view.serial) if view.serial else "-" * 16
        lines.append(
            f"  {spaced(pon)}{view.onu_id:>5}  {sn:<16}  {'active':<12}{run:<9}{config:<9}{match:<9}{'no':<7}"
        )
    lines += [SEP, "  F/S/P   ONT-ID   Description", SEP]
    for view in views:
        lines.append(
            f"  {spaced(pon)}{view.onu_id:>8}   {view.description or 'ONT_NO_DESCRIPTION'}"
        )
    online = sum(view.online for view in views)
    lines += [
        SEP,
        f"  In port {spaced(pon)}, the total number of ONTs is: {len(views)}, "
        f"online: {online}, offline: {len(views) - online}",
        SEP,
    ]
    return lines


def _wrap_description(text: str) -> list[str]:
    # The detail view wraps long descriptions at 32 characters under the value column.
    text = text or "ONT_NO_DESCRIPTION"
    chunks = [text[i : i + 32] for i in range(0, len(text), 32)]
    return [f"  {'Description':<24}: {chunks[0]}"] + [" " * 28 + chunk for chunk in chunks[1:]]


def ont_detail(view: OnuView, now: float) -> list[str]:
    run, config, match = _states(view)
    reading = view.reading

    def field(label: str, value: object) -> str:
        return f"  {label:<24}: {value}"

    seed = view.serial or view.mac or str(view.onu_id)
    memory = f"{_spread(seed + 'm', 30, 85)}%" if view.online else "-"
    cpu = f"{_spread(seed + 'c', 1, 20)}%" if view.online else "-"
    temperature = f"{reading.temperature_c}(C)" if reading else "-"
    distance = reading.distance_m if reading else "-"
    down_cause = view.down_cause if view.last_down is not None or not view.online else "-"
    if not view.ever_up:
        down_cause = "-"
    lines = [
        SEP,
        field("F/S/P", view.pon),
        field("ONT-ID", view.onu_id),
        field("Control flag", "active"),
        field("Run state", run),
        field("Config state", config),
        field("Match state", match),
        field("DBA type", "SR" if view.online else "-"),
        field("ONT distance(m)", distance),
        field("ONT last distance(m)", view.distance_m or (distance if reading else "-")),
        field("ONT battery state", "not support" if view.online else "-"),
        field("Memory occupation", memory),
        field("CPU occupation", cpu),
        field("Temperature", temperature),
        field("Authentic type", "SN-auth" if view.auth == "sn" else "MAC-auth"),
        field("SN", sn_field(view)),
    ]
    if view.auth == "mac" and view.mac:
        lines.append(field("MAC", mac(view.mac)))
    lines += [
        field("Management mode", "OMCI"),
        field("Software work mode", "normal"),
        field("Isolation state", "normal"),
        field("ONT IP 0 address/mask", "-"),
        *_wrap_description(view.description),
        field("Last down cause", down_cause),
        field("Last up time", stamp(view.last_up, offset=True)),
        field("Last down time", stamp(view.last_down, offset=True)),
        field(
            "Last dying gasp time",
            stamp(view.last_down, offset=True) if view.down_cause == "dying-gasp" else "-",
        ),
        field(
            "ONT online duration",
            duration(now - view.last_up) if view.online and view.last_up else "-",
        ),
        field("Type C support", "Not support"),
        field("Interoperability-mode", "ITU-T"),
        field("Power reduction status", "-"),
        field("FEC upstream state", "use-profile-config"),
        field("VS-ID", 0),
        field("VS name", "admin-vs"),
        SEP,
        f"  {'Line profile ID':<21}: {view.line_profile}",
        f"  {'Line profile name':<21}: {_profile_name(view.line_profile)}",
        SEP,
        f"  {'Service profile ID':<21}: {view.srv_profile}",
        f"  {'Service profile name':<21}: {_profile_name(view.srv_profile)}",
        SEP,
    ]
    return lines


def _profile_name(profile: str) -> str:
    return f"FTTH_{profile}" if profile.isdigit() else profile


def _down_cause(view: OnuView) -> str:
    """The Last DownCause column: `LOSi/LOBi` when the light went (the ONU's own loss of
    signal and of burst, as SmartAX words it), `dying-gasp` when the power did, `-` for an
    ONT that has never gone down since it came up (or never came up)."""
    if view.last_down is None or not view.ever_up:
        return "-"
    return "LOSi/LOBi" if view.down_cause == "LOS" else view.down_cause


def ont_summary(pon: str, views: list[OnuView]) -> list[str]:
    """`display ont info summary F/S/P`."""
    online = sum(view.online for view in views)
    lines = [
        "  Command is being executed. Please wait",
        SEP_WIDE,
        f"  In port {pon}, the total of ONTs are: {len(views)}, online: {online}",
        SEP_WIDE,
        "  ONT  Run     Last                Last                Last                   ",
        "  ID   State   UpTime              DownTime            DownCause",
        SEP_WIDE,
    ]
    for view in views:
        run = "online" if view.online else "offline"
        cause = _down_cause(view)
        lines.append(
            f"  {view.onu_id:<5}{run:<8}{stamp(view.last_up):<20}{stamp(view.last_down):<20}{cause:<25}"
        )
    lines += [
        SEP_WIDE,
        "  ONT        SN        Type          Distance Rx/Tx power  Description",
        "  ID                                    (m)      (dBm)",
        SEP_WIDE,
    ]
    for view in views:
        sn = serial_hex(view.serial) if view.serial else "-" * 16
        kind = view.model.equipment_id if view.model else "-"
        if view.reading:
            distance = str(view.reading.distance_m)
            power = f"{view.reading.onu_rx_dbm:.2f}/{view.reading.onu_tx_dbm:.2f}"
        else:
            distance, power = "-", "-/-"
        description = view.description or "ONT_NO_DESCRIPTION"
        lines.append(f"  {view.onu_id:<4}{sn} {kind:<17}{distance:<6}{power:<13}{description:<20}")
    lines.append(SEP_WIDE)
    return lines


# -- optics ------------------------------------------------------------------------------
def optical_all(views: list[OnuReading], generation: Firmware = FIRMWARE["r018"]) -> list[str]:
    """`display ont optical-info P all` inside `interface gpon F/S`."""
    if not generation.dark_optics_rows:
        return _optical_online(views)
    lines = [
        SEP + " " + CURSOR_QUIRK,
        "  ONT  Rx power  Tx power  OLT Rx ONT  Temperature  Voltage  Current  Distance  ",
        "  ID   (dBm)     (dBm)     power(dBm)  (C)          (V)      (mA)     (m)       ",
        SEP + " " + CURSOR_QUIRK,
    ]
    for view in views:
        r = view.reading
        if r is None:
            cells = ["-"] * 7
        else:
            cells = [
                f"{r.onu_rx_dbm:.2f}",
                f"{r.onu_tx_dbm:.2f}",
                f"{r.olt_rx_dbm:.2f}",
                str(r.temperature_c),
                f"{r.voltage_v:.3f}",
                str(r.bias_ma),
                str(r.distance_m),
            ]
        rx, tx, olt_rx, temp, volt, cur, dist = cells
        lines.append(
            f"  {view.onu_id:>3}  {rx:<10}{tx:<10}{olt_rx:<12}{temp:<13}{volt:<9}{cur:<9}{dist:<10}"
        )
    lines.append(SEP)
    return lines


def _optical_online(views: list[OnuReading]) -> list[str]:
    """R019 lists only the ONTs that answer: a dark ONT has no row at all, its id is skipped.

    Its header and separators carry no trailing padding, and the distance column is narrower.
    A port whose ONTs are all dark prints the bare table.
    """
    lines = [
        SEP,
        "  ONT  Rx power  Tx power  OLT Rx ONT  Temperature  Voltage  Current  Distance",
        "  ID   (dBm)     (dBm)     power(dBm)  (C)          (V)      (mA)     (m)",
        SEP,
    ]
    for view in views:
        r = view.reading
        if r is None:
            continue
        lines.append(
            f"  {view.onu_id:>3}  {r.onu_rx_dbm:<10.2f}{r.onu_tx_dbm:<10.2f}{r.olt_rx_dbm:<12.2f}"
            f"{r.temperature_c:<13}{r.voltage_v:<9.3f}{r.bias_ma:<9}{r.distance_m:<8}"
        )
    lines.append(SEP)
    return lines


def optical_one(view: OnuView) -> list[str]:
    """`display ont optical-info P N`: the ONT's own optical module, class B+ GPON."""
    r = view.reading
    if r is None:
        return failure("The ONT is not online")
    vendor = view.model.vendor_name if view.model else "-"
    seed = view.serial or str(view.onu_id)
    part = "HW-BOB-0007" if vendor == "HUAWEI" else f"{vendor[:3]}-BOB-{_spread(seed, 1, 9):04d}"
    vendor_sn = f"{_spread(seed + 'y', 17, 23)}{_spread(seed + 'w', 10, 52):02d}WJ{_spread(seed + 's', 100000, 999999)}S"

    def field(label: str, value: object) -> str:
        return f"  {label:<39}: {value}"

    return [
        SEP,
        field("ONU NNI port ID", 0),
        field("Module type", "GPON"),
        field("Module sub-type", "CLASS B+"),
        field("Used type", "ONU"),
        field("Encapsulation Type", "BOSA ON BOARD"),
        field("Optical power precision(dBm)", "3.0"),
        field("Vendor name", f"{vendor:<16}"),
        field("Vendor rev", "-"),
        field("Vendor PN", f"{part:<16}"),
        field("Vendor SN", f"{vendor_sn:<16}"),
        field(
            "Date Code",
            f"{_spread(seed + 'd', 17, 23)}-{_spread(seed + 'o', 1, 12):02d}-{_spread(seed + 'a', 1, 28):02d}",
        ),
        field("Rx optical power(dBm)", f"{r.onu_rx_dbm:.2f}"),
        field("Rx power current warning threshold(dBm)", "[-,-]"),
        field("Rx power current alarm threshold(dBm)", "[-29.0,-7.0]"),
        field("Tx optical power(dBm)", f"{r.onu_tx_dbm:.2f}"),
        field("Tx power current warning threshold(dBm)", "[-,-]"),
        field("Tx power current alarm threshold(dBm)", "[0.0,5.0]"),
        field("Laser bias current(mA)", r.bias_ma),
        field("Tx bias current warning threshold(mA)", "[-,-]"),
        field("Tx bias current alarm threshold(mA)", "[2.000,100.000]"),
        field("Temperature(C)", r.temperature_c),
        field("Temperature warning threshold(C)", "[-,-]"),
        field("Temperature alarm threshold(C)", "[-61,95]"),
        field("Voltage(V)", f"{r.voltage_v:.3f}"),
        field("Supply voltage warning threshold(V)", "[-,-]"),
        field("Supply voltage alarm threshold(V)", "[3.000,3.600]"),
        field("OLT Rx ONT optical power(dBm)", f"{r.olt_rx_dbm:.2f}"),
        field("CATV Rx optical power(dBm)", "-"),
        field("CATV Rx power alarm threshold(dBm)", "[-,-]"),
        SEP,
    ]


# -- service ports ------------------------------------------------------------------------
def service_ports(ports: list[ServicePort], online: dict[tuple[str, int], bool]) -> list[str]:
    lines = [
        "  Switch-Oriented Flow List",
        SEP,
        "   INDEX VLAN VLAN     PORT F/ S/ P VPI  VCI   FLOW  FLOW       RX   TX   STATE",
        "         ID   ATTR     TYPE                    TYPE  PARA",
        SEP,
    ]
    up = 0
    for sp in ports:
        frame, slot, port = sp.pon.split("/")
        state = "up" if online.get((sp.pon, sp.onu_id)) else "down"
        up += state == "up"
        rx = str(sp.inbound) if sp.inbound is not None else "-"
        tx = str(sp.outbound) if sp.outbound is not None else "-"
        lines.append(
            f"{sp.index:>8} {sp.vlan:>4} {'common':<8} gpon {frame}/{slot:<2}/{port:<2} "
            f"{sp.onu_id:<4} {sp.gemport:<5} {'vlan':<5} {sp.user_vlan:<10} {rx:<4} {tx:<4} {state}"
        )
    lines += [SEP, f"   Total : {len(ports)}  (Up/Down :{up:>5}/{len(ports) - up})"]
    return lines


# -- chassis ------------------------------------------------------------------------------
def version(olt: LabOlt, now: float) -> list[str]:
    model = olt.model
    line = "  " + "-" * 50
    return [
        "",
        f"  VERSION : {model.software}",
        f"  PATCH   : {model.patch}",
        f"  PRODUCT : {model.name}",
        " ",
        "  Active Mainboard Running Area Information: ",
        line,
        "  Current Program Area : Area A ",
        "  Current Data Area : Area A",
        " ",
        f"  Program Area A Version : {model.software} ",
        f"  Program Area B Version : {model.software}",
        " ",
        f"  Data Area A Version : {model.software} ",
        f"  Data Area B Version : {model.software} ",
        line,
        " ",
        f"  Uptime is {duration(now - olt.started_at)}",
    ]


def board(olt: LabOlt) -> list[str]:
    line = "  " + "-" * 73
    control = olt.slots[-1] + 1
    lines = [line, "  SlotID  BoardName  Status          SubType0 SubType1    Online/Offline", line]
    for slot in range(0, control + 2):
        if slot in olt.slots:
            lines.append(f"  {slot:<8}{olt.model.board:<11}{'Normal':<16}")
        elif slot == control:
            lines.append(f"  {slot:<8}{'H901MPLA':<11}{'Active_normal':<16}{'CPCF':<9}")
        else:
            lines.append(f"  {slot:<6}")
    lines.append(line)
    return lines
