"""ZTE ZXA10 C300/C320 (`gpon-onu_1/1/1:N`) and C600 (`gpon_onu-1/1/1:N`) answers as records."""

from __future__ import annotations

import re

from ispflow.plugins.olt.cleanup import clean_lines
from ispflow.plugins.olt.driver import config_text
from ispflow.plugins.olt.parsing import (
    DeviceError,
    Nothing,
    Record,
    UnreadableOutput,
    VendorParsers,
    gpon_serial,
    integer,
    is_layout,
    number,
    table_rows,
    text_or_none,
)

# Both namings: gpon-onu_1/1/1:5 (C300/C320) and gpon_onu-1/1/1:5 (C600).
_ONU = r"gpon[-_]onu[-_](\d+/\d+/\d+):(\d+)"
_OLT_IF = r"gpon[-_]olt[-_]\d+/\d+/\d+"
_ONU_IF = r"gpon[-_]onu[-_]\d+/\d+/\d+:\d+"
# "No related information to show": %Code 32310 on older firmware, 62310 on newer; an empty
# list, not a refusal.
_NOTHING_TO_SHOW = re.compile(
    r"^\s*%Code \d+-GPONSRV\s*:\s*No related information to show", re.IGNORECASE
)
_REFUSAL = re.compile(r"^\s*(%(?:Error|Code)\b.*)$", re.IGNORECASE)
# Tables index ONUs as gpon-onu_1/1/1:5 (C300/C320 V1.x), gpon_onu-1/1/1:5 (C600 as some
# releases print it) or just 1/1/1:5 (C300/C320 V2.x and C600 TITAN state tables).
_ANY_ONU = r"(?:gpon[-_]onu[-_])?(\d+/\d+/\d+):(\d+)"
_UNCFG_ROW = re.compile(rf"^\s*{_ANY_ONU}\s+(\S+)\s+(\S+)\s*$", re.IGNORECASE)
_UNCFG_HEADER = re.compile(r"^\s*OnuIndex\s+Sn\s+State\b", re.IGNORECASE)
_STATE_HEADER = re.compile(r"^\s*OnuIndex\s{2,}Admin\s+State\b", re.IGNORECASE)
_STATE_ROW = re.compile(rf"^\s*{_ANY_ONU}((?:\s+\S+){{2,6}})\s*$", re.IGNORECASE)
# V2.x and TITAN end the table with "ONU Number: shown/total".
_STATE_FOOTER = re.compile(r"^\s*ONU Number\s*:\s*\d+\s*/\s*\d+\s*$", re.IGNORECASE)
_POWER_ROW = re.compile(rf"^\s*{_ANY_ONU}\s+(\S+)\s*$", re.IGNORECASE)
_POWER_HEADER = re.compile(r"^\s*Onu\s+(?:Rx|Tx) power\b", re.IGNORECASE)
# The phases an ONU passes through on its way to `working` (it answers on the fibre, but
# carries no traffic yet) and the ones it is in when it is down.
ONLINE_PHASES = frozenset({"working"})
_ONU_ONLY = re.compile(rf"^\s*{_ONU}\s*$", re.IGNORECASE)
_ATTENUATION = re.compile(
    r"^\s*(up|down)\s+(?:Rx|Tx)\s*:\s*(\S+)\s+(?:Rx|Tx)\s*:\s*(\S+)\s+(\S+)\s*$", re.IGNORECASE
)
_COMMAND_ONU = re.compile(_ONU, re.IGNORECASE)
# The chassis line of `show version`; some releases say "System Description: ZXA10 C300 ...".
_VERSION = re.compile(
    r"\bZXA10\s+(?P<model>C\d{3}\S*)\b.*?\bVersion:?\s*(?P<software>[^,\s]+)", re.IGNORECASE
)
_UPTIME = re.compile(r"^\s*System uptime is\s+(.*?)\s*$", re.IGNORECASE)
_COMMAND_PON = re.compile(r"gpon[-_]olt[-_](\d+/\d+/\d+)", re.IGNORECASE)
# C600 keeps an ONU's service ports under `interface vport-1/1/1.5:1` (ONU 5, vport 1).
_VPORT_IF = r"vport-\d+/\d+/\d+\.\d+:\d+"
_COMMAND_VPORT = re.compile(r"vport-(\d+/\d+/\d+)\.(\d+):(\d+)", re.IGNORECASE)
_CONFIG_NAME = re.compile(r"^\s*name\s+(.*?)\s*$", re.IGNORECASE)
_CONFIG_INTERFACE = re.compile(r"^\s*interface\s+\S+\s*$", re.IGNORECASE)
# `service-port 1 vport 1 user-vlan 100 vlan 100` (C300/C320, in the ONU interface) or
# `service-port 1 user-vlan 100 vlan 100` (C600, in its vport interface); VLANs may be
# masked (`xxx`) in shared configurations.
_CONFIG_SERVICE_PORT = re.compile(
    r"^\s*service-port\s+(\d+)(?:\s+vport\s+(\d+))?(?:\s+user-vlan\s+(\S+))?.*?\s+vlan\s+(\S+)",
    re.IGNORECASE,
)
# What a `--More--` stop leaves once answered: backspaces over it, blanks, backspaces; read
# through netmiko the backspaces are gone and 8 blanks are left in front of the next line
# (configuration lines are indented by 2 or 4 at most).
PAGER_TEXT = "--More--"
_PAGER_ERASE = re.compile(r"\x08+ *\x08+")
_PAGER_BLANKS = re.compile(rf"^ {{{len(PAGER_TEXT)}}}", re.MULTILINE)
# Lines of the whole configuration that change by themselves: when it was saved, loaded and
# last changed (C600's `!<mim>` block). They say nothing about the configuration itself.
_VOLATILE = re.compile(
    r"^\s*!\s*(?:configuration (?:saved at|has not been saved|was loaded)|"
    r"last configuration change at)\b",
    re.IGNORECASE,
)
# Lines only a configuration has: its host name, a section tag, an interface block.
_CONFIG_LINE = re.compile(r"^(?:hostname\s|!<|interface\s)", re.IGNORECASE)
_CARD_HEADER = re.compile(r"^\s*Rack\s+Shelf\s+Slot\s+CfgType", re.IGNORECASE)
_MNG_HEADER = re.compile(rf"^\s*pon-onu-mng\s+{_ONU_IF}\s*$", re.IGNORECASE)
# `service internet gemport 1 vlan 100` (masked VLANs, `xxx`, read as None).
_MNG_SERVICE = re.compile(r"^\s*service\s+(\S+)\s+gemport\s+(\d+)\s+vlan\s+(\S+)", re.I)
_CONFIG_ONU = re.compile(r"^\s*onu\s+(\d+)\s+type\s+(\S+)\s+(sn|mac)\s+(\S+)", re.IGNORECASE)


class ZteParsers(VendorParsers):
    vendor = "zte"
    commands = (
        (rf"show (gpon|pon) onu uncfg( {_OLT_IF})?", "uncfg"),
        (rf"show gpon onu state( {_OLT_IF}( \d+)?| {_ONU_IF})?", "state"),
        (rf"show pon power onu-rx {_OLT_IF}", "onu_rx"),
        (rf"show pon power onu-rx {_ONU_IF}", "onu_rx"),
        (rf"show pon power attenuation {_ONU_IF}", "attenuation"),
        (r"show gpon onu by sn \S+", "by_sn"),
        (r"show version", "version"),
        (r"show card", "card"),
        (r"show running-config", "running_config"),
        (rf"show gpon onu detail-info {_ONU_IF}", "detail"),
        (rf"show running-config interface {_OLT_IF}", "pon_config"),
        (rf"show running-config interface ({_ONU_IF}|{_VPORT_IF})", "onu_config"),
        (rf"show onu running config {_ONU_IF}", "onu_mng_config"),
        (
            r"(configure terminal|conf t|interface .*|onu \d+ .*|no onu \d+|exit|end|"
            r"terminal length \d+|name .*|description .*|tcont .*|gemport .*|switchport .*|"
            r"service-port .*|no service-port .*|pon-onu-mng .*|service .*|vlan .*)",
            "no_records",
        ),
    )

    nothing_there = _NOTHING_TO_SHOW
    nothing_there_words = ("%code",)
    keywords = (
        "show", "gpon", "pon", "onu", "uncfg", "state", "power", "onu-rx", "attenuation", "config",
        "by", "sn", "version", "card", "running-config", "interface", "detail-info",
    )  # fmt: skip

    table_headers = {
        "uncfg": _UNCFG_HEADER.pattern,
        "state": _STATE_HEADER.pattern,
        "onu_rx": _POWER_HEADER.pattern,
    }

    def check_refused(self, command: str, output: str) -> None:
        if "%" not in output:  # every refusal starts with it; tables run to thousands of lines
            return
        lines = output.splitlines()
        if command.strip().lower().startswith("show"):
            lines = [line for line in lines if not _NOTHING_TO_SHOW.match(line)]
        errors = [m.group(1).strip() for m in map(_REFUSAL.match, lines) if m]
        if errors:
            raise DeviceError("; ".join(dict.fromkeys(errors)), command)

    def uncfg(self, command: str, output: str) -> list[Record]:
        rows, stray = table_rows(clean_lines(output, command), _UNCFG_ROW, _UNCFG_HEADER)
        self.unread(command, stray)
        return [
            {
                "port": row[1],
                "index": int(row[2]),  # its place in the list, not an ONU id
                "serial": gpon_serial(row[3]),
                "state": text_or_none(row[4]),
            }
            for row in rows
        ]

    def state(self, command: str, output: str) -> list[Record]:
        """`show gpon onu state` in each firmware's layout, read by its header's columns:
        V1.x `… OMCC State  O7 State  Phase State`, V2.x `… Phase State  Channel` and C600
        TITAN `… Phase state  Speed mode`."""
        records = []
        columns: list[str] = []
        picks: tuple[int | None, ...] = ()
        stray: list[str] = []
        lines = clean_lines(output, command)
        for line in lines:
            if _STATE_HEADER.match(line):
                columns = [name.lower() for name in re.split(r"\s{2,}", line.strip())][1:]
                picks = _state_columns(columns)
                continue
            row = _STATE_ROW.match(line)
            values = row[3].split() if row and columns else ()
            if values and len(values) == len(columns):
                records.append(_state_record(row[1], int(row[2]), values, picks))
            elif columns and not is_layout(line) and not _STATE_FOOTER.match(line):
                stray.append(line)
        headless = [] if columns else [line for line in lines if _STATE_ROW.match(line)]
        if headless:
            raise UnreadableOutput(
                self.vendor, command, headless[0], "rows without a header to name their columns"
            )
        self.unread(command, stray)
        return records

    def pon_config(self, command: str, output: str) -> list[Record]:
        """`onu N type T sn S` (or `mac M`) lines of a PON's running configuration."""
        pon = _COMMAND_PON.search(command)
        assert pon is not None  # the command pattern requires it
        records: list[Record] = []
        lines = clean_lines(output, command)
        for line in lines:
            row = _CONFIG_ONU.match(line)
            if row:
                key, value = row[3].lower(), row[4]
                records.append(
                    {
                        "port": pon[1],
                        "onu_id": int(row[1]),
                        "onu_type": row[2],
                        "serial": gpon_serial(value) if key == "sn" else None,
                        "mac": value.lower() if key == "mac" else None,
                    }
                )
        if not records and any(_COMMAND_PON.search(line) for line in lines):
            return Nothing()  # the PON's interface block, with no ONU configured on it
        return records

    def onu_config(self, command: str, output: str) -> list[Record]:
        """An ONU's running configuration: its name, then one record per service port."""
        vport = _COMMAND_VPORT.search(command)
        onu = vport or _COMMAND_ONU.search(command)
        assert onu is not None  # the command pattern requires one of them
        port, onu_id = onu[1], int(onu[2])
        lines = clean_lines(output, command)
        if not any(_CONFIG_INTERFACE.match(line) for line in lines):
            return []  # no configuration came back for that interface
        description: str | None = None
        services: list[Record] = []
        for line in lines:
            name = _CONFIG_NAME.match(line)
            if name:
                description = text_or_none(name[1])
                continue
            row = _CONFIG_SERVICE_PORT.match(line)
            if row:
                services.append(
                    {
                        "port": port,
                        "onu_id": onu_id,
                        "vlan": _vlan(row[4]),
                        "user_vlan": _vlan(row[3]),
                        "index": int(row[1]),
                        "vport": int(row[2]) if row[2] else (int(vport[3]) if vport else None),
                    }
                )
        if vport:
            return services  # a vport interface has no name of its own
        return [{"port": port, "onu_id": onu_id, "description": description}, *services]

    def onu_mng_config(self, command: str, output: str) -> list[Record]:
        """`show onu running config gpon-onu_…`: the ONU's own (OMCI) settings, one record per
        `service NAME gemport G vlan V` line; an ONU with none is an empty list."""
        onu = _COMMAND_ONU.search(command)
        assert onu is not None  # the command pattern requires it
        lines = clean_lines(output, command)
        if not any(_MNG_HEADER.match(line) for line in lines):
            return []  # no pon-onu-mng block: the generic check names what came instead
        records: list[Record] = Nothing()
        for line in lines:
            row = _MNG_SERVICE.match(line)
            if row:
                records.append(
                    {
                        "port": onu[1],
                        "onu_id": int(onu[2]),
                        "service": row[1],
                        "gemport": int(row[2]),
                        "vlan": _vlan(row[3]),
                    }
                )
        return records

    def onu_rx(self, command: str, output: str) -> list[Record]:
        rows, stray = table_rows(clean_lines(output, command), _POWER_ROW, _POWER_HEADER)
        self.unread(command, stray)
        return [{"port": row[1], "onu_id": int(row[2]), "rx_dbm": number(row[3])} for row in rows]

    def attenuation(self, command: str, output: str) -> list[Record]:
        onu = _COMMAND_ONU.search(command)
        assert onu is not None  # the command pattern requires it
        record: Record = {"port": onu[1], "onu_id": int(onu[2])}
        for line in clean_lines(output, command):
            row = _ATTENUATION.match(line)
            if not row:
                continue
            if row[1].lower() == "up":
                record["olt_rx_dbm"] = number(row[2])
                record["tx_dbm"] = number(row[3])
                record["attenuation_up_db"] = number(row[4])
            else:
                record["olt_tx_dbm"] = number(row[2])
                record["rx_dbm"] = number(row[3])
                record["attenuation_down_db"] = number(row[4])
        if "rx_dbm" not in record and "olt_rx_dbm" not in record:
            return []
        return [record]

    def by_sn(self, command: str, output: str) -> list[Record]:
        serial = gpon_serial(command.split()[-1])
        records = []
        for line in clean_lines(output, command):
            row = _ONU_ONLY.match(line)
            if row:
                records.append({"port": row[1], "onu_id": int(row[2]), "serial": serial})
        return records

    def detail(self, command: str, output: str) -> list[Record]:
        onu = _COMMAND_ONU.search(command)
        assert onu is not None
        fields: dict[str, str] = {}
        for line in clean_lines(output, command):
            key, sep, value = line.partition(":")
            if sep and key.strip() and not key.strip().isdigit():
                fields.setdefault(key.strip(), value.strip())
        if not fields:
            return []
        phase = text_or_none(fields.get("Phase state"))
        return [
            {
                "port": onu[1],
                "onu_id": int(onu[2]),
                "name": text_or_none(fields.get("Name")),
                "onu_type": text_or_none(fields.get("Type")),
                "serial": gpon_serial(fields.get("Serial number")),
                "admin_state": text_or_none(fields.get("Admin state")),
                "phase_state": phase,
                "run_state": "online" if (phase or "").lower() == "working" else "offline",
                "description": text_or_none(fields.get("Description")),
                "distance_m": integer(fields.get("ONU Distance")),
            }
        ]

    def version(self, command: str, output: str) -> list[Record]:
        """`ZXA10 C320 Software, Version: V2.1.0P3, ...`: the chassis model and software."""
        record: Record | None = None
        uptime = None
        for line in clean_lines(output, command):
            found = _VERSION.search(line)
            if found and record is None:
                record = {
                    "vendor": self.vendor,
                    "model": found["model"],
                    "software": found["software"],
                    "patch": None,
                }
            up = _UPTIME.match(line)
            if up:
                uptime = up[1].strip()
        return [] if record is None else [{**record, "uptime": uptime}]

    def card(self, command: str, output: str) -> list[Record]:
        """`show card`: one record per slot, columns read where the header puts them (a slot
        with no card has blank RealType, HardVer and SoftVer)."""
        records = []
        columns: list[tuple[str, int]] = []
        for line in clean_lines(output, command):
            if _CARD_HEADER.match(line):
                names = line.split()
                starts, position = [], 0
                for name in names:
                    position = line.index(name, position)
                    starts.append(position)
                    position += len(name)
                columns = list(zip(names, starts, strict=True))
                continue
            words = line.split()
            if not columns or len(words) < 4 or not all(w.isdigit() for w in words[:3]):
                continue
            ends = [start for _, start in columns[1:]] + [len(line)]
            cells = {
                name.lower(): text_or_none(line[start:end].strip()) if start < len(line) else None
                for (name, start), end in zip(columns, ends, strict=True)
            }
            real = cells.get("realtype")
            records.append(
                {
                    "rack": int(words[0]),
                    "shelf": int(words[1]),
                    "slot": int(words[2]),
                    "board_name": real or cells.get("cfgtype"),
                    "config_type": cells.get("cfgtype"),
                    "status": cells.get("status"),
                    "ports": integer(cells.get("port")),
                    "hardware": cells.get("hardver"),
                    "software": cells.get("softver"),
                }
            )
        return records

    def running_config(self, command: str, output: str) -> list[Record]:
        """The configuration as text, without `Building configuration...` and without the
        lines that change by themselves (when it was saved or last changed)."""
        output = _PAGER_ERASE.sub("", output).replace(PAGER_TEXT, "").replace("\r\n", "\n")
        output = _PAGER_BLANKS.sub("", output)
        lines = clean_lines(output, command)
        if not any(_CONFIG_LINE.match(line) for line in lines):
            said = "; ".join(line.strip() for line in lines if line.strip().strip("^"))[:200]
            raise DeviceError(said or "no configuration in the answer", command)
        text = config_text(lines, volatile=_VOLATILE, drop=("Building configuration...",))
        return [{"config": text, "lines": text.count("\n")}]

    def no_records(self, command: str, output: str) -> list[Record]:
        return []


_STATE_COLUMNS = ("admin state", "omcc state", "o7 state", "phase state")


def _state_columns(columns: list[str]) -> tuple[int | None, ...]:
    """Where each state a record keeps is in a row of this header (None: not in this
    layout); a name the header repeats is read from its last column."""
    where = {name: index for index, name in enumerate(columns)}
    return tuple(where.get(name) for name in _STATE_COLUMNS)


def _state_record(
    port: str, onu_id: int, values: list[str], picks: tuple[int | None, ...]
) -> Record:
    # A state table has a row per ONU of the OLT: the header's columns are found once.
    admin, omcc, o7, phase = picks
    state = None if phase is None else text_or_none(values[phase])
    return {
        "port": port,
        "onu_id": onu_id,
        "admin_state": None if admin is None else text_or_none(values[admin]),
        "omcc_state": None if omcc is None else text_or_none(values[omcc]),
        "o7_state": None if o7 is None else text_or_none(values[o7]),
        "phase_state": state,
        "run_state": "online" if (state or "").lower() in ONLINE_PHASES else "offline",
    }


def _vlan(value: str | None) -> int | None:
    """A VLAN id; None for one not given or masked (`xxx`)."""
    return int(value) if value and value.isdigit() else None
