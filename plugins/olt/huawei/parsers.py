"""Huawei SmartAX (MA5600T/MA5608T/MA5683T/MA5800) answers as records."""

from __future__ import annotations

import re

from ispflow.plugins.olt.cleanup import clean_lines
from ispflow.plugins.olt.driver import config_text
from ispflow.plugins.olt.parsing import (
    DeviceError,
    Record,
    VendorParsers,
    gpon_serial,
    integer,
    key_values,
    number,
    port_text,
    text_or_none,
)

_REFUSAL = re.compile(
    r"^\s*(Failure:.*|%\s*(?:Unknown command|Parameter error|Incomplete command|"
    r"Ambiguous command|Too many parameters|Wrong parameter).*|Error:.*)$",
    re.IGNORECASE,
)
_PORT = r"\d+/\s*\d+/\s*\d+"
_INFO_ROW = re.compile(
    rf"^\s*({_PORT})\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)(?:\s+(\S+))?\s*$"
)
_DESCRIPTION_ROW = re.compile(rf"^\s*({_PORT})\s+(\d+)\s+(.*?)\s*$")
_OPTICAL_ROW = re.compile(r"^\s*(\d+)" + r"\s+(\S+)" * 7 + r"\s*$")
_SUMMARY_PORT = re.compile(rf"In port\s+({_PORT})\s*,", re.IGNORECASE)
# Last up and last down time: `-`, or a date (2000-01-01, 01/01/2000 or 1/1/2000, as the
# OLT's date format says) and a time, with a zone offset on some releases; the last down
# cause is the rest of the line and may hold blanks (`ONT is reset by ONT command`).
_SUMMARY_STAMP = r"(?:-|\d{1,4}[-/]\d{1,2}[-/]\d{1,4}\s+\d{1,2}:\d{2}:\d{2}(?:[+-]\d{2}:?\d{2})?)"
_SUMMARY_STATE_ROW = re.compile(
    rf"^\s*(\d+)\s+([A-Za-z]\S*)\s+({_SUMMARY_STAMP})\s+({_SUMMARY_STAMP})(?:\s+(.*?))?\s*$"
)
# The ONT type may hold a blank (`Fiberlink 101`): it ends where distance and powers start.
_SUMMARY_ONT_ROW = re.compile(
    r"^\s*(\d+)\s+(\S+)\s+(.+?)\s+(-|\d+)\s+(-|[-+]?\d+(?:\.\d+)?)/(-|[-+]?\d+(?:\.\d+)?)"
    r"(?:\s+(.*?))?\s*$"
)
# A line that starts the way a row does (an id, or a port and an id): if the row pattern
# does not take it, it is a row in a layout not known, never a line to skip.
_ROW_START = re.compile(r"^\s*\d+\s")
_PORT_ROW_START = re.compile(rf"^\s*{_PORT}\s+\d+\s")
# Answers that only say there is nothing to list: no ONT waiting (older firmware without
# "The"), no ONT on the port or with that serial, no service port.
_NOTHING_THERE = re.compile(
    r"^\s*(?:Failure:\s*)?(?:(?:The\s+)?automatically found ONTs do not exist|"
    r"The ONT does not exist|There is no ONT available|"
    r"No service virtual port can be operated)\.?\s*$",
    re.IGNORECASE,
)
# A row of the Switch-Oriented Flow List: INDEX, VLAN ID, VLAN ATTR, PORT TYPE, F/ S/ P,
# VPI (the ONT id on a PON), VCI (the GEM index), FLOW TYPE, FLOW PARA, RX, TX, STATE.
# Searched, not anchored at the start: a row is recognised by its shape wherever it sits.
_SERVICE_PORT_ROW = re.compile(
    r"(?:^|\s)(\d+)\s+(\d+)\s+(\S+)\s+([A-Za-z]+)\s+(\d+\s*/\s*\d+\s*/\s*\d+)"
    + r"\s+(\S+)" * 7
    + r"\s*$"
)
_ADDED = re.compile(r"PortID\s*:\s*(\d+)\s*,\s*ONTID\s*:\s*(\d+)", re.IGNORECASE)
_UPTIME = re.compile(r"^\s*Uptime is\s+(.*?)\s*$", re.IGNORECASE)
# What a pager stop leaves behind once answered: the cursor sent back over the prompt, the
# prompt overwritten with blanks, the cursor sent back again (ESC[37D, 37 blanks, ESC[37D).
# netmiko drops the sequences together with the blank before each (SmartAX's own space +
# ESC[1D quirk), so 36 blanks are left in front of the next line; no configuration line is
# indented that far.
PAGER_TEXT = "---- More ( Press 'Q' to break ) ----"
_PAGER_ERASE = re.compile(r"\x1b\[(\d+)D *\x1b\[\1D")
_PAGER_BLANKS = re.compile(rf"^ {{{len(PAGER_TEXT) - 1}}}", re.MULTILINE)
# The first line of a configuration: [MA5600V800R018: 8103].
_CONFIG_HEADER = re.compile(r"^\s*\[[A-Za-z0-9]+V\d+R\d+[^\]]*:\s*\d+\]\s*$")
_BOARD_HEADER = re.compile(r"^\s*SlotID\s+BoardName\s+Status", re.IGNORECASE)


class HuaweiParsers(VendorParsers):
    vendor = "huawei"
    nothing_there = _NOTHING_THERE
    nothing_there_words = ("not ex", "no ont", "operated")
    change_parsers = frozenset({"no_records", "ont_add"})
    table_headers = {
        "optical_table": r"^\s*(ONT\s+Rx power|ID\s+\(dBm\))",
        "service_ports": r"^\s*(Switch-Oriented Flow List|INDEX\s+VLAN|ID\s+ATTR)",
    }
    keywords = (
        "display", "ont", "info", "summary", "optical-info", "autofind", "all", "by-sn",
        "service-port", "port", "gemport", "version", "board", "current-configuration",
    )  # fmt: skip
    commands = (
        (r"display ont autofind( .*)?", "autofind"),
        (r"display ont info by-sn \S+", "info_detail"),
        (r"display ont info summary( .*)?", "info_summary"),
        (r"display ont info( \d+){0,3} all", "info_table"),
        (r"display ont info \d+( \d+)*", "info_detail_or_table"),
        (r"display ont optical-info \d+ all", "optical_table"),
        (r"display ont optical-info \d+ \d+", "optical_one"),
        (
            r"display service-port (all|\d+|port \d+/\d+/\d+( ont \d+( gemport \d+)?)?)",
            "service_ports",
        ),
        (r"ont add .*", "ont_add"),
        (r"display version", "version"),
        (r"display board \d+", "board"),
        (r"display current-configuration", "running_config"),
        (
            r"(ont (delete|modify|reset|activate|deactivate)|(undo )?service-port|config|"
            r"interface gpon|quit|return|enable|disable|(undo )?smart|scroll|(undo )?interactive|"
            r"infoswitch|mmi-mode|undo idle-timeout|idle-timeout)\b.*",
            "no_records",
        ),
    )

    def check_refused(self, command: str, output: str) -> None:
        lowered = output.lower()
        if "%" not in output and "failure:" not in lowered and "error:" not in lowered:
            return  # no refusal can be in it; tables run to thousands of lines
        lines = output.splitlines()
        if self.is_read(command):
            lines = [line for line in lines if not _NOTHING_THERE.match(line)]
        errors = [m.group(1).strip() for m in map(_REFUSAL.match, lines) if m]
        if errors:
            raise DeviceError("; ".join(dict.fromkeys(errors)), command)

    # -- autofind ---------------------------------------------------------------------------
    def autofind(self, command: str, output: str) -> list[Record]:
        records = []
        lines = clean_lines(output, command)
        for block in key_values(lines):
            if "Number" not in block or "F/S/P" not in block:
                if "Ont SN" in block or "F/S/P" in block:
                    self.unread(command, [f"{k} : {v}" for k, v in block.items()])
                continue
            records.append(
                {
                    "number": integer(block.get("Number")),
                    "port": port_text(block["F/S/P"]),
                    "serial": gpon_serial(block.get("Ont SN")),
                    "serial_hex": _hex_part(block.get("Ont SN")),
                    "vendor_id": text_or_none(block.get("VendorID")),
                    "model": text_or_none(block.get("Ont EquipmentID")),
                    "version": text_or_none(block.get("Ont Version")),
                    "software": text_or_none(block.get("Ont SoftwareVersion")),
                    "mac": _mac(block.get("Ont MAC")),
                    "equipment_sn": text_or_none(block.get("Ont Equipment SN")),
                    "found_at": text_or_none(block.get("Ont autofind time")),
                }
            )
        return records

    # -- ONT info ---------------------------------------------------------------------------
    def info_detail_or_table(self, command: str, output: str) -> list[Record]:
        lines = clean_lines(output, command)
        if any(_INFO_ROW.match(line) for line in lines):
            return self._info_table(lines, command)
        return self._info_detail(lines)

    def info_table(self, command: str, output: str) -> list[Record]:
        return self._info_table(clean_lines(output, command), command)

    def info_detail(self, command: str, output: str) -> list[Record]:
        return self._info_detail(clean_lines(output, command))

    def _info_table(self, lines: list[str], command: str) -> list[Record]:
        records: dict[tuple[str, int], Record] = {}
        stray: list[str] = []
        section = None
        for line in lines:
            header = line.split()
            if header[:1] == ["F/S/P"] and "Description" in header:
                section = "description"
                continue
            if header[:2] == ["F/S/P", "ONT"]:
                section = "main"
                continue
            if section == "main":
                row = _INFO_ROW.match(line)
                if row:
                    key = (port_text(row[1]), int(row[2]))
                    records[key] = {
                        "port": key[0],
                        "onu_id": key[1],
                        "serial": gpon_serial(row[3]),
                        "control_flag": text_or_none(row[4]),
                        "run_state": text_or_none(row[5]),
                        "config_state": text_or_none(row[6]),
                        "match_state": text_or_none(row[7]),
                        "protect_side": text_or_none(row[8]),
                        "description": None,
                    }
                elif _PORT_ROW_START.match(line):
                    stray.append(line)
            elif section == "description":
                row = _DESCRIPTION_ROW.match(line)
                if row:
                    key = (port_text(row[1]), int(row[2]))
                    if key in records:
                        records[key]["description"] = text_or_none(row[3])
        self.unread(command, stray)
        return list(records.values())

    def _info_detail(self, lines: list[str]) -> list[Record]:
        # The profile blocks follow an ONT's block under their own rules: they belong to it.
        merged: list[dict[str, str]] = []
        for block in key_values(lines):
            if "ONT-ID" in block:
                merged.append(dict(block))
            elif merged:
                merged[-1].update({k: v for k, v in block.items() if k not in merged[-1]})
        records = []
        for block in merged:
            records.append(
                {
                    "port": port_text(block["F/S/P"]) if "F/S/P" in block else None,
                    "onu_id": integer(block["ONT-ID"]),
                    "serial": gpon_serial(block.get("SN")),
                    "control_flag": text_or_none(block.get("Control flag")),
                    "run_state": text_or_none(block.get("Run state")),
                    "config_state": text_or_none(block.get("Config state")),
                    "match_state": text_or_none(block.get("Match state")),
                    "distance_m": integer(block.get("ONT distance(m)")),
                    "temperature_c": number(block.get("Temperature")),
                    "auth": text_or_none(block.get("Authentic type")),
                    "description": text_or_none(block.get("Description")),
                    "last_down_cause": text_or_none(block.get("Last down cause")),
                    "last_up_at": text_or_none(block.get("Last up time")),
                    "line_profile": text_or_none(block.get("Line profile ID")),
                    "service_profile": text_or_none(block.get("Service profile ID")),
                }
            )
        return records

    def info_summary(self, command: str, output: str) -> list[Record]:
        # Read for every PON of a fleet audit (two rows per ONU): each row's fields are taken
        # in one go, and an ONT's state joins its record in place.
        states: dict[tuple[str | None, int], Record] = {}
        onts: dict[tuple[str | None, int], Record] = {}
        port = None
        section = None
        stray: list[str] = []
        state_row, ont_row = _SUMMARY_STATE_ROW.match, _SUMMARY_ONT_ROW.match
        row_start = _ROW_START.match
        for line in clean_lines(output, command):
            # A port line has a comma and a header "ONT": most lines are rows, with neither.
            found = _SUMMARY_PORT.search(line) if "," in line else None
            if found:
                port, section = port_text(found[1]), None
                continue
            if "ONT" in line:
                header = line.split()[:2]
                if header == ["ONT", "Run"]:
                    section = "state"
                    continue
                if header == ["ONT", "SN"]:
                    section = "ont"
                    continue
            if section == "state":
                row = state_row(line)
                if row:
                    onu_id, run_state, _, _, cause = row.groups()
                    states[(port, int(onu_id))] = {
                        "run_state": text_or_none(run_state),
                        "last_down_cause": text_or_none(cause),
                    }
                elif row_start(line):
                    stray.append(line)
            elif section == "ont":
                row = ont_row(line)
                if row:
                    onu_id, serial, model, distance, rx, tx, description = row.groups()
                    number_id = int(onu_id)
                    onts[(port, number_id)] = {
                        "port": port,
                        "onu_id": number_id,
                        "serial": gpon_serial(serial),
                        "model": text_or_none(model),
                        "distance_m": integer(distance),
                        "rx_dbm": number(rx),
                        "tx_dbm": number(tx),
                        "description": text_or_none(description),
                    }
                elif row_start(line):
                    stray.append(line)
            elif row_start(line):
                # A row under a header not known (another release's wording): its ONUs'
                # states would be lost without a word.
                stray.append(line)
        self.unread(command, stray)
        if not onts:
            return [{"port": k[0], "onu_id": k[1], **v} for k, v in states.items()]
        for key, ont in onts.items():
            state = states.get(key)
            if state is not None:
                ont.update(state)
        return list(onts.values())

    # -- optics -----------------------------------------------------------------------------
    def optical_table(self, command: str, output: str) -> list[Record]:
        """Every ONT of the port (`-` for an offline one), or on MA5800 firmware only the
        online ones: an ONT missing here is not known to be absent (see the driver)."""
        records = []
        stray: list[str] = []
        for line in clean_lines(output, command):
            row = _OPTICAL_ROW.match(line)
            if not row:
                if _ROW_START.match(line):
                    stray.append(line)
                continue
            records.append(
                {
                    "port": None,  # the command names only the port on the board entered
                    "onu_id": int(row[1]),
                    "rx_dbm": number(row[2]),
                    "tx_dbm": number(row[3]),
                    "olt_rx_dbm": number(row[4]),
                    "temperature_c": number(row[5]),
                    "voltage_v": number(row[6]),
                    "bias_ma": number(row[7]),
                    "distance_m": integer(row[8]),
                }
            )
        self.unread(command, stray)
        return records

    def optical_one(self, command: str, output: str) -> list[Record]:
        onu_id = int(command.split()[-1])
        for block in key_values(clean_lines(output, command)):
            if "Rx optical power(dBm)" in block:
                return [
                    {
                        "port": None,
                        "onu_id": onu_id,
                        "rx_dbm": number(block.get("Rx optical power(dBm)")),
                        "tx_dbm": number(block.get("Tx optical power(dBm)")),
                        "olt_rx_dbm": number(block.get("OLT Rx ONT optical power(dBm)")),
                        "temperature_c": number(block.get("Temperature(C)")),
                        "voltage_v": number(block.get("Voltage(V)")),
                        "bias_ma": number(block.get("Laser bias current(mA)")),
                        "module": text_or_none(block.get("Module type")),
                    }
                ]
        return []

    # -- service ports ----------------------------------------------------------------------
    def service_ports(self, command: str, output: str) -> list[Record]:
        """One record per row of the flow list; the F/S/P column names each row's PON."""
        records = []
        stray: list[str] = []
        for line in clean_lines(output, command):
            row = _SERVICE_PORT_ROW.search(line)
            if row is None:
                if _ROW_START.match(line) and re.search(r"\d+\s*/\s*\d+\s*/\s*\d+", line):
                    stray.append(line)
                continue
            flow_type, flow_para = row[8].lower(), row[9]
            records.append(
                {
                    "port": port_text(row[5]),
                    "onu_id": integer(row[6]),
                    "vlan": int(row[2]),
                    "user_vlan": integer(flow_para) if flow_type == "vlan" else None,
                    "gemport": integer(row[7]),
                    "index": int(row[1]),
                    "state": row[12],
                }
            )
        self.unread(command, stray)
        return records

    # -- changes ----------------------------------------------------------------------------
    def ont_add(self, command: str, output: str) -> list[Record]:
        added = _ADDED.search(output)
        if added is None:
            raise DeviceError(
                "the OLT did not confirm the ONT add (no 'PortID :P, ONTID :N' in its answer)",
                command,
            )
        # The answer names the port number only; the board is the interface entered.
        return [{"port": None, "port_number": int(added[1]), "onu_id": int(added[2])}]

    # -- the chassis -------------------------------------------------------------------------
    def version(self, command: str, output: str) -> list[Record]:
        """The active main board's block: PRODUCT is the chassis model."""
        fields: dict[str, str] = {}
        uptime = None
        for line in clean_lines(output, command):
            key, sep, value = line.partition(":")
            if sep and key.strip() in ("VERSION", "PATCH", "PRODUCT"):
                fields.setdefault(key.strip(), value.strip())
            found = _UPTIME.match(line)
            if found:
                uptime = found[1].strip()
        if not fields.get("PRODUCT"):
            return []
        return [
            {
                "vendor": self.vendor,
                "model": fields["PRODUCT"],
                "software": text_or_none(fields.get("VERSION")),
                "patch": text_or_none(fields.get("PATCH")),
                "uptime": uptime,
            }
        ]

    def board(self, command: str, output: str) -> list[Record]:
        """`display board F`: one record per slot with a board; empty slots are left out.

        The sub-type and online columns are read by where the header puts them, since any of
        them may be blank.
        """
        records = []
        columns: list[tuple[str, int]] = []
        for line in clean_lines(output, command):
            if _BOARD_HEADER.match(line):
                columns = [
                    (name, line.index(name))
                    for name in ("SubType0", "SubType1", "Online/Offline")
                    if name in line
                ]
                continue
            words = line.split()
            if not columns or len(words) < 2 or not words[0].isdigit():
                continue
            cells = {
                name: text_or_none(line[start:next_start].strip() if start < len(line) else "")
                for (name, start), next_start in zip(
                    columns, [start for _, start in columns[1:]] + [len(line)], strict=True
                )
            }
            records.append(
                {
                    "slot": int(words[0]),
                    "board_name": words[1],
                    "status": words[2] if len(words) > 2 else None,
                    "subtype0": cells.get("SubType0"),
                    "subtype1": cells.get("SubType1"),
                    "online": cells.get("Online/Offline"),
                }
            )
        return records

    def running_config(self, command: str, output: str) -> list[Record]:
        """The configuration as text, from its `[…: build]` header to `return`."""
        output = _PAGER_ERASE.sub("", output).replace(PAGER_TEXT, "")
        output = _PAGER_BLANKS.sub("", output.replace("\r\n", "\n"))
        lines = clean_lines(output, command)
        start = next((n for n, line in enumerate(lines) if _CONFIG_HEADER.match(line)), None)
        if start is None:
            raise DeviceError(_first_words(lines) or "no configuration in the answer", command)
        lines = lines[start:]
        if "return" in (line.strip() for line in lines):
            lines = lines[: [line.strip() for line in lines].index("return") + 1]
        text = config_text(lines)
        return [{"config": text, "lines": text.count("\n")}]

    def no_records(self, command: str, output: str) -> list[Record]:
        return []


def _first_words(lines: list[str]) -> str:
    """What the device said instead of a configuration: its first non-blank lines."""
    return "; ".join(line.strip() for line in lines if line.strip().strip("^"))[:200]


def _hex_part(value: str | None) -> str | None:
    value = text_or_none(value)
    return value.split()[0].upper() if value else None


def _mac(value: str | None) -> str | None:
    value = text_or_none(value)
    if value is None:
        return None
    digits = re.sub(r"[^0-9A-Fa-f]", "", value).lower()
    if len(digits) != 12:
        return value
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))
