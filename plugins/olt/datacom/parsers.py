"""Datacom DmOS (DM4610/DM4612) answers as records.

Layouts, and where each comes from:

* `show interface gpon [P] discovered-onus`: a `Chassis / Slot / Port  Serial Number` table
  (captured on a DM4610); `% No entries found.` when none waits (the CLI's empty-list
  answer: only a tool's source checks for it, no capture of it).
* `show interface gpon [P] onu`: the `Itf  ONU ID  Serial Number  Oper State …  Name` table
  (captured), its rows alone when filtered with `| include`, and the same command with
  `| display curly-braces`: `onu N { … rx-optical-pw V; }` blocks, the one PON-wide read
  of every ONU's optical power (from a tool's source: the leaves `primary-status` and
  `rx-optical-pw` are the ones it reads; no captured answer).
* `show interface gpon P onu N`: `Key : value` lines, `Rx Optical Power [dBm] : -8.98` and
  `N/A` for an ONU that is down (captured).
* `show running-config [interface gpon P | service-port [N]]`: the configuration in blocks
  closed by `!` (only its service-port lines were seen on a device).
* `show version`: `Key : value` lines naming the model and firmware (no device output in
  our hands: the keys read are the likely ones, and an answer without a model is an error).
"""

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

_PON = r"\d+/\d+/\d+"
NOTHING_THERE = re.compile(r"^\s*%?\s*No entries found\.?\s*$", re.IGNORECASE)
_REFUSAL = re.compile(r"^\s*((?:syntax error:|Aborted:|Error:).*)$", re.IGNORECASE)
# A caret under the echoed line: `-----^`.
_CARET = re.compile(r"^\s*-*\^\s*$")

_DISCOVERED_HEADER = re.compile(r"^\s*Chassis\s*/\s*Slot\s*/\s*Port\s+Serial Number\s*$", re.I)
_DISCOVERED_ROW = re.compile(rf"^\s*({_PON})\s+([A-Za-z0-9]{{4}}[0-9A-Fa-f]{{8}})\s*$")

_LIST_HEADER = re.compile(
    r"^\s*Itf\s+ONU ID\s+Serial Number\s+Oper State\s+Software Download State\s+Name\s*$", re.I
)
# Any header of the table: one with other columns is another layout, never read as this one.
_ANY_LIST_HEADER = re.compile(r"^\s*Itf\s+ONU ID\b", re.IGNORECASE)
_LIST_ROW = re.compile(rf"^\s*({_PON})\s+(\d+)\s+(\S+)\s+(Up|Down)\s+(\S+)(?:\s+(.*?))?\s*$", re.I)

_CURLY_OPEN = re.compile(r"^\s*([\w-]+)(?:\s+(\S+))?\s*\{\s*$")
_CURLY_LEAF = re.compile(r"^\s*([\w-]+)(?:\s+(.*?))?;\s*$")
_CURLY_CLOSE = re.compile(r"^\s*\}\s*$")

_COMMAND_PON = re.compile(rf"gpon\s+({_PON})", re.IGNORECASE)
_COMMAND_ONU = re.compile(rf"gpon\s+({_PON})\s+onu\s+(\d+)", re.IGNORECASE)

_CONFIG_LINE = re.compile(r"^(?:hostname|interface|service-port|aaa|snmp)\b", re.IGNORECASE)
_CONFIG_GPON = re.compile(rf"^interface\s+gpon\s+({_PON})\s*$", re.IGNORECASE)
_CONFIG_ONU = re.compile(r"^\s+onu\s+(\d+)\s*$", re.IGNORECASE)
_CONFIG_ONU_LEAF = re.compile(r"^\s+(name|serial-number)\s+(\S+)\s*$", re.IGNORECASE)
_CONFIG_SP = re.compile(r"^service-port\s+(\d+)\s*$", re.IGNORECASE)
_CONFIG_SP_TARGET = re.compile(
    rf"^\s+gpon\s+({_PON})\s+onu\s+(\d+)\s+gem\s+(\d+)\s+match\s+vlan\s+vlan-id\s+(\d+)"
    r"(?:\s+action\s+vlan\s+(?:replace|add)\s+vlan-id\s+(\d+))?"
    r"(?:\s+description\s+(\S+))?\s*$",
    re.IGNORECASE,
)
_CONFIG_SP_DESCRIPTION = re.compile(r"^\s+description\s+(\S+)\s*$", re.IGNORECASE)

_ONLINE = {"up": "online", "down": "offline"}


class DatacomParsers(VendorParsers):
    vendor = "datacom"
    commands = (
        (r"show interface gpon( \S+)? discovered-onus", "discovered"),
        (rf"show interface gpon( {_PON})? onu", "onus"),
        (rf"show interface gpon {_PON} onu \d+", "onu_detail"),
        (r"show version", "version"),
        (r"show running-config", "running_config"),
        (rf"show running-config interface gpon {_PON}", "pon_config"),
        (r"show running-config service-port( \d+)?", "service_ports"),
        (
            r"(config( exclusive)?|interface gpon .*|onu \d+|no onu \d+|name .*|"
            r"serial-number .*|line-profile .*|ethernet \d+|native vlan .*|top|end|exit|"
            r"abort|commit|service-port .*|no service-port \d+|gpon .*|description .*)",
            "no_records",
        ),
    )
    nothing_there = NOTHING_THERE
    keywords = (
        "show", "interface", "gpon", "discovered-onus", "onu", "version", "running-config",
        "service-port",
    )  # fmt: skip
    table_headers = {
        "discovered": _DISCOVERED_HEADER.pattern,
        "onus": _LIST_HEADER.pattern,
    }

    def check_refused(self, command: str, output: str) -> None:
        errors = [m.group(1).strip() for m in map(_REFUSAL.match, output.splitlines()) if m]
        if errors:
            raise DeviceError("; ".join(dict.fromkeys(errors)), command)

    def unread_lines(self, command: str, output: str) -> list[str]:
        return [line for line in super().unread_lines(command, output) if not _CARET.match(line)]

    def discovered(self, command: str, output: str) -> list[Record]:
        rows, stray = table_rows(clean_lines(output, command), _DISCOVERED_ROW, _DISCOVERED_HEADER)
        self.unread(command, stray)
        return [{"port": row[1], "serial": gpon_serial(row[2])} for row in rows]

    def onus(self, command: str, output: str) -> list[Record]:
        """The ONU table (or its rows alone, filtered), or its curly-braces form."""
        lines = clean_lines(output, command)
        if any(_CURLY_OPEN.match(line) for line in lines):
            return self._curly(command, lines)
        for line in lines:
            if _ANY_LIST_HEADER.match(line) and not _LIST_HEADER.match(line):
                raise UnreadableOutput(
                    self.vendor, command, line, "a header with columns not known"
                )
        rows, stray = table_rows(lines, _LIST_ROW, _LIST_HEADER)
        if not any(_LIST_HEADER.search(line) for line in lines):
            # `| include SERIAL` keeps the rows and drops the header: every line must be one.
            stray = [line for line in lines if not is_layout(line) and not _LIST_ROW.match(line)]
        self.unread(command, stray)
        return [
            {
                "port": row[1],
                "onu_id": int(row[2]),
                "serial": gpon_serial(row[3]),
                "oper_state": row[4],
                "run_state": _ONLINE[row[4].lower()],
                "download_state": text_or_none(row[5]),
                "description": text_or_none(row[6]),
            }
            for row in rows
        ]

    def _curly(self, command: str, lines: list[str]) -> list[Record]:
        """`| display curly-braces`: one record per `onu N { … }` block with its optics."""
        pon = _COMMAND_PON.search(command)
        port = pon[1] if pon else None
        records: list[Record] = []
        current: Record | None = None
        depth = 0
        for line in lines:
            opened, leaf = _CURLY_OPEN.match(line), _CURLY_LEAF.match(line)
            if opened:
                depth += 1
                if opened[1] == "gpon" and opened[2]:
                    port = opened[2]
                elif opened[1] == "onu" and opened[2] and opened[2].isdigit():
                    current = {
                        "port": port,
                        "onu_id": int(opened[2]),
                        "rx_dbm": None,
                        "tx_dbm": None,
                        "olt_rx_dbm": None,
                        "primary_status": None,
                    }
                    records.append(current)
            elif _CURLY_CLOSE.match(line):
                depth -= 1
                if current is not None and depth < 3:
                    current = None
            elif leaf and current is not None:
                name, value = leaf[1].lower(), leaf[2]
                if name == "rx-optical-pw":
                    current["rx_dbm"] = number(value)
                elif name == "tx-optical-pw":
                    current["tx_dbm"] = number(value)
                elif name == "primary-status":
                    current["primary_status"] = text_or_none(value)
            elif not leaf and not is_layout(line):
                raise UnreadableOutput(self.vendor, command, line, "not a curly-braces line")
        if any(r["port"] is None for r in records):
            raise UnreadableOutput(self.vendor, command, lines[0], "ONUs without their PON")
        return records

    def onu_detail(self, command: str, output: str) -> list[Record]:
        onu = _COMMAND_ONU.search(command)
        assert onu is not None  # the command pattern requires it
        fields: dict[str, str] = {}
        last: str | None = None
        for line in clean_lines(output, command):
            key, sep, value = line.partition(":")
            if sep and key.strip() and not key.strip()[0].isdigit():
                last = key.strip()
                fields[last] = value.strip()
            elif last is not None and line.strip() and ":" not in line:
                # A value that ran onto the next line (`valid, committed` of a firmware).
                fields[last] = f"{fields[last]} {line.strip()}".strip()
        if "ID" not in fields:
            return []
        state = text_or_none(fields.get("Operational state"))
        return [
            {
                "port": onu[1],
                "onu_id": integer(fields["ID"]),
                "serial": gpon_serial(fields.get("Serial Number")),
                "name": text_or_none(fields.get("Name")),
                "oper_state": state,
                "run_state": _ONLINE.get((state or "").lower(), state),
                "primary_status": text_or_none(fields.get("Primary status")),
                "equipment_id": text_or_none(fields.get("Equipment ID")),
                "line_profile": text_or_none(fields.get("Line Profile")),
                "distance_km": number(fields.get("Distance")),
                "rx_dbm": number(fields.get("Rx Optical Power [dBm]")),
                "tx_dbm": number(fields.get("Tx Optical Power [dBm]")),
                "olt_rx_dbm": None,
            }
        ]

    def version(self, command: str, output: str) -> list[Record]:
        fields = {}
        for line in clean_lines(output, command):
            key, sep, value = line.partition(":")
            if sep:
                fields[key.strip().lower()] = value.strip()
        model = next((v for k, v in fields.items() if "model" in k and v), None)
        if model is None:
            return []
        software = next((v for k, v in fields.items() if "version" in k and v), None)
        return [
            {
                "vendor": self.vendor,
                "model": model.split()[0],
                "description": model,
                "software": software,
                "patch": None,
                "uptime": fields.get("uptime"),
            }
        ]

    def running_config(self, command: str, output: str) -> list[Record]:
        lines = clean_lines(output, command)
        if not any(_CONFIG_LINE.match(line) for line in lines):
            said = "; ".join(line.strip() for line in lines if line.strip())[:200]
            raise DeviceError(said or "no configuration in the answer", command)
        text = config_text(lines)
        return [{"config": text, "lines": text.count("\n")}]

    def pon_config(self, command: str, output: str) -> list[Record]:
        """`onu N` blocks of a PON's configuration: id, serial and name (the description)."""
        pon = _COMMAND_PON.search(command)
        assert pon is not None  # the command pattern requires it
        lines = clean_lines(output, command)
        if not any(_CONFIG_GPON.match(line) for line in lines):
            return []  # not the PON's block: the generic check names what came instead
        records: list[Record] = Nothing()
        current: Record | None = None
        for line in lines:
            onu = _CONFIG_ONU.match(line)
            if onu:
                current = {"port": pon[1], "onu_id": int(onu[1]), "serial": None}
                current["description"] = None
                records.append(current)
                continue
            leaf = _CONFIG_ONU_LEAF.match(line)
            if leaf and current is not None:
                if leaf[1].lower() == "name":
                    current["description"] = leaf[2]
                else:
                    current["serial"] = gpon_serial(leaf[2])
        return records

    def service_ports(self, command: str, output: str) -> list[Record]:
        """One record per `service-port N` block that serves a GPON ONU; a line of a block
        in another form is an error, never a service port left out."""
        lines = clean_lines(output, command)
        records: list[Record] = Nothing()
        index: int | None = None
        for line in lines:
            block = _CONFIG_SP.match(line)
            if block:
                index = int(block[1])
                continue
            target = _CONFIG_SP_TARGET.match(line)
            described = _CONFIG_SP_DESCRIPTION.match(line)
            if target and index is not None:
                records.append(
                    {
                        "index": index,
                        "port": target[1],
                        "onu_id": int(target[2]),
                        "gemport": int(target[3]),
                        "user_vlan": int(target[4]),
                        "vlan": int(target[5] or target[4]),
                        "service_description": target[6],
                    }
                )
            elif described and records and records[-1]["index"] == index:
                records[-1]["service_description"] = described[1]
            elif line.strip() != "!" and not is_layout(line):
                raise UnreadableOutput(self.vendor, command, line, "not a service-port line")
        if not records and index is None:
            return []  # no service-port block: the generic check names what came instead
        return records

    def no_records(self, command: str, output: str) -> list[Record]:
        return []
