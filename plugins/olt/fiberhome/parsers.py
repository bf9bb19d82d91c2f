"""FiberHome AN5516 answers as records, in both firmware dialects.

Older firmware (AN5516-06B, 2020) works in `Admin\\gpononu#` and names a PON `slot S link L`;
newer firmware works in `Admin\\onu#` and names it `slot S pon P`, ends answers with
`Command executes success.` and prints wider tables (`SLOT = 4, PON = 8, ITEM = 6`). Refusals
are `[ ERR -553 ] onu is in unactive!` (spaced or not: `[ERR -598] …`).

Ports are written `1/S/P`: the AN5516 has one frame, and the rest of ispflow names a PON by
three numbers.

Serials are case-sensitive on this OLT (it prints the hex part in lowercase and refuses an
upper-cased one with `[ERR -598] physical address is error!`); records carry the usual
upper-case form, which compares with every other vendor's, and the driver writes them back in
the OLT's own form.

Layouts seen in captured answers (test fixtures and scripts' pastes): `show discovery`,
`show authorization`, `show whitelist`, `show optic_module`. Known from tool source or from
the lab's design only (no captured output): `show onu_config`, `show version`,
`show running-config` — see docs/olt.md.
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
    is_layout,
    number,
    text_or_none,
)

FRAME = 1
# `slot 4 pon 3`, `slot 14 link 5` (`p 3`, as typed at the OLT, too), `slot all pon all`.
_PON_WORD = r"(?:pon|po|p|link|lin|li|l)"
_AT = rf"slot (?:\d+|all) {_PON_WORD} (?:\d+|all)"
_ONE_ONU = rf"slot (\d+) {_PON_WORD} (\d+) onu (\d+)"
_COMMAND_ONU = re.compile(_ONE_ONU, re.IGNORECASE)
_SERIAL = r"[A-Za-z0-9]{4}[0-9A-Fa-f]{8}"
_SERIAL_ONLY = re.compile(rf"^{_SERIAL}$")

# `Admin\gpononu# `, `Admin\onu#`, `User>`: the backslash keeps them out of the shared rule.
_PROMPT = re.compile(r"^\s*\w+(?:\\[\w\\]+)?[>#]")
_SUCCESS = re.compile(r"^\s*Command executes success\.?\s*$", re.IGNORECASE)
_PAGER = re.compile(r"-{2}\s*Press any key to continue(?:\s+Ctrl\+c to stop)?\s*-{2}", re.I)
# What a pager stop leaves once answered: backspaces over it, blanks, backspaces; read through
# netmiko the backspaces are gone and the blanks stay in front of the next line.
_PAGER_ERASE = re.compile(r"\x08+ *\x08+")
_REFUSAL = re.compile(
    r"^\s*(\[\s*ERR\s*-?\d+\s*\].*|Command executes failed\.?.*|%?\s*Unknown command.*)$",
    re.IGNORECASE,
)

# Both dialects of a table title: `-----  ONU Unauth Table ,SLOT=12 PON=1 ,ITEM=2-----` and
# `----- ONU Unauth Table, SLOT = 4, PON = 8, ITEM = 1 -----`.
_TITLE = r"^\s*-+\s*ONU {what} Table\s*,\s*SLOT\s*=\s*(\d+)\s*,?\s*PON\s*=\s*(\d+)\s*,\s*ITEM\s*=\s*(\d+)\s*-*\s*$"
_UNAUTH_TITLE = re.compile(_TITLE.format(what="Unauth"), re.IGNORECASE)
_AUTH_TITLE = re.compile(_TITLE.format(what="Auth"), re.IGNORECASE)
# Newer firmware puts the whole OLT's count first, and a legend of the ST column.
_AUTH_TOTAL = re.compile(r"^\s*-+\s*ONU Auth Table\s*,\s*Total ITEM\s*=\s*\d+\s*-+\s*$", re.I)
_AUTH_LEGEND = re.compile(r"^\s*A:\s*Authorized\b", re.IGNORECASE)
_UNAUTH_HEADER = re.compile(r"^\s*NO\s+(?:Onu)?TYPE\s+PHY_?ID\b", re.IGNORECASE)
_AUTH_HEADER = re.compile(r"^\s*SLOT\s+PON\s+ONU\s+(?:Onu)?TYPE\s+ST\b", re.IGNORECASE)
# `01  HG260  ZNTSa0b1c2d3  , ` (older) or `1   HG6243C  FHTT91fbc5e8 fiberhome …  1` (newer);
# the password columns are the ONU's secrets and are not kept.
_UNAUTH_ROW = re.compile(rf"^\s*(\d+)\s+(\S+)\s+({_SERIAL})(?=\s|,|$)")
# `  14   8   1 HG260  A up  DGST0edac7ed  , ` (older) or
# `4    3   1   HG6145E  A  1   up  FHTT9d7c9f80` (newer, with a licence column); some
# captured tables cut the PhyId short or leave it out.
_AUTH_ROW = re.compile(
    r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+([APR])\s+(?:(\d+)\s+)?([A-Za-z]+)(?:\s+([^\s,]+))?"
)
_ONLINE = frozenset({"up", "online"})

# `show whitelist phy_addr`: by position first (`Slot Pon Onu Onu-Type Phy-ID Phy-Pwd Used`)
# or by serial first (`PHYID PHYPWD SLOT PON ONU TYPE EN USED`, with a `SLOT: 4 PON: 8 ITEM: 1`
# footer).
_WHITELIST_TITLE = re.compile(r"^\s*-+\s*Physical (?:Address|SN) Whitelist\s*-+\s*$", re.I)
_WHITELIST_BY_PLACE = re.compile(r"^\s*Slot\s+Pon\s+Onu\s+Onu-Type\s+Phy-ID\b", re.IGNORECASE)
_WHITELIST_BY_SERIAL = re.compile(r"^\s*PHYID\s+PHYPWD\s+SLOT\s+PON\s+ONU\b", re.IGNORECASE)
_WHITELIST_FOOTER = re.compile(r"^\s*SLOT:\s*\d+\s+PON:\s*\d+\s+ITEM:\s*\d+\s*$", re.I)

# `show optic_module`: `RECV POWER   : -25.08\t(Dbm)` under `ONU OPTIC MODULE PAR INFO`.
_OPTIC_TITLE = re.compile(r"^\s*-+\s*ONU OPTIC MODULE PAR INFO\b.*$", re.IGNORECASE)
_OPTIC_HEADER = re.compile(r"^\s*NAME\s+VALUE\s+UNIT\s*$", re.IGNORECASE)
_KEY_VALUE = re.compile(r"^\s*([A-Z][A-Z ]*?)\s*:\s*(.*?)\s*$", re.IGNORECASE)
_OPTIC_KEYS = {
    "TYPE": "reach_km",
    "TEMPERATURE": "temperature_c",
    "VOLTAGE": "voltage_v",
    "BIAS CURRENT": "bias_ma",
    "SEND POWER": "tx_dbm",
    "RECV POWER": "rx_dbm",
    "OLT RECV POWER": "olt_rx_dbm",
}

# `show onu_config` (lab design, see docs/olt.md): the ONU's description and VLAN services.
_CONFIG_TITLE = re.compile(r"^\s*-+\s*ONU Config\s*,\s*SLOT\s*=\s*\d+.*-+\s*$", re.I)
_CONFIG_DESC = re.compile(r"^\s*Description\s*:\s*(.*?)\s*$", re.IGNORECASE)
_CONFIG_SERVICE = re.compile(
    r"^\s*Port\s+(\d+)\s+Service\s+(\d+)\s*:\s*vlan_mode\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$",
    re.IGNORECASE,
)

# `show version` (lab design, see docs/olt.md).
_VERSION_KEYS = {
    "Device Type": "model",
    "Software Version": "software",
    "Hardware Version": "hardware",
    "Up Time": "uptime",
}
# `show running-config`: its layout lines and the lines that change by themselves.
_CONFIG_LINE = re.compile(r"^\s*(?:set|add|cd|apply|!)\b", re.IGNORECASE)
_VOLATILE = re.compile(r"^\s*!\s*(?:generated|saved|last (?:change|save))\b", re.IGNORECASE)


def port_of(slot: str | int, pon: str | int) -> str:
    return f"{FRAME}/{int(slot)}/{int(pon)}"


def serial_of(text: str | None) -> str | None:
    """A serial in the usual upper-case form; None for a cell that holds no whole serial
    (captured tables cut some PhyIds short)."""
    value = text_or_none(text)
    if value is None or not _SERIAL_ONLY.match(value):
        return None
    return gpon_serial(value)


class FiberhomeParsers(VendorParsers):
    vendor = "fiberhome"
    commands = (
        (rf"show discovery {_AT}", "discovery"),
        (rf"show authorization {_AT}", "authorization"),
        (rf"show whitelist phy_addr(?: address {_SERIAL})?", "whitelist"),
        (rf"show optic_module {_ONE_ONU}", "optic_module"),
        (rf"show onu_config {_ONE_ONU}", "onu_config"),
        (r"show version", "version"),
        (r"show running-config", "running_config"),
        (
            r"(cd \S+|set whitelist .*|no whitelist .*|set epon .*|apply onu .*|"
            r"set onu_desc .*|terminal length \d+|save|enable)",
            "no_records",
        ),
    )
    keywords = (
        "show", "discovery", "authorization", "whitelist", "phy_addr", "address", "optic_module",
        "onu_config", "version", "running-config", "slot", "onu",
    )  # fmt: skip
    table_headers = {
        "discovery": _UNAUTH_TITLE.pattern,
        "authorization": _AUTH_TITLE.pattern,
        "whitelist": _WHITELIST_TITLE.pattern,
    }

    # -- what every answer shares ----------------------------------------------------------
    def lines(self, command: str, output: str) -> list[str]:
        """The answer's own lines: no prompt, echo, pager stop or closing success line."""
        return [
            line
            for line in clean_lines(_PAGER.sub("", _PAGER_ERASE.sub("", output)), command)
            if not _PROMPT.match(line) and not _SUCCESS.match(line)
        ]

    def unread_lines(self, command: str, output: str) -> list[str]:
        return [line for line in self.lines(command, output) if not is_layout(line)]

    def check_refused(self, command: str, output: str) -> None:
        errors = [m.group(1).strip() for m in map(_REFUSAL.match, self.lines(command, output)) if m]
        if errors:
            raise DeviceError("; ".join(dict.fromkeys(errors)), command)

    # -- tables ------------------------------------------------------------------------------
    def discovery(self, command: str, output: str) -> list[Record]:
        """ONUs waiting to be authorized: one titled table per PON (a title with ITEM=0 and no
        rows on an empty PON)."""
        records: list[Record] = Nothing()
        blocks = self._blocks(command, output, _UNAUTH_TITLE, _UNAUTH_HEADER)
        for (slot, pon, _count), rows in blocks:
            for line in rows:
                row = _UNAUTH_ROW.match(line)
                if row is None:
                    raise UnreadableOutput(self.vendor, command, line, "not an ONU row")
                records.append(
                    {
                        "port": port_of(slot, pon),
                        "index": int(row[1]),  # its place in the list, not an ONU id
                        "serial": serial_of(row[3]),
                        "model": row[2],
                        "onu_type": row[2],
                    }
                )
        return records

    def authorization(self, command: str, output: str) -> list[Record]:
        """ONUs authorized on a PON (or all), with their state: ST (A authorized, P
        preauthorized, R reserved) and OST (up / dn)."""
        records: list[Record] = Nothing()
        blocks = self._blocks(
            command, output, _AUTH_TITLE, _AUTH_HEADER, skip=(_AUTH_TOTAL, _AUTH_LEGEND)
        )
        for _title, rows in blocks:
            for line in rows:
                row = _AUTH_ROW.match(line)
                if row is None:
                    raise UnreadableOutput(self.vendor, command, line, "not an ONU row")
                state = row[7].lower()
                records.append(
                    {
                        "port": port_of(row[1], row[2]),
                        "onu_id": int(row[3]),
                        "serial": serial_of(row[8]),
                        "onu_type": row[4],
                        "auth_state": row[5],
                        "oper_state": state,
                        "run_state": "online" if state in _ONLINE else "offline",
                    }
                )
        return records

    def _blocks(
        self,
        command: str,
        output: str,
        title: re.Pattern[str],
        header: re.Pattern[str],
        skip: tuple[re.Pattern[str], ...] = (),
    ) -> list[tuple[tuple[str, str, int], list[str]]]:
        """The answer's tables as ((slot, pon, ITEM), rows); a table whose row count is not its
        ITEM, or a line outside any table, is a layout not known."""
        blocks: list[tuple[tuple[str, str, int], list[str]]] = []
        for line in self.lines(command, output):
            found = title.match(line)
            if found:
                blocks.append(((found[1], found[2], int(found[3])), []))
            elif is_layout(line) or header.match(line) or any(p.match(line) for p in skip):
                continue
            elif not blocks:
                raise UnreadableOutput(self.vendor, command, line, "a line before any table")
            else:
                blocks[-1][1].append(line)
        for (slot, pon, count), rows in blocks:
            if len(rows) != count:
                raise UnreadableOutput(
                    self.vendor,
                    command,
                    rows[-1] if rows else f"SLOT={slot} PON={pon} ITEM={count}",
                    f"the table of slot {slot} PON {pon} says ITEM={count} and has "
                    f"{len(rows)} row(s)",
                )
        return blocks

    def whitelist(self, command: str, output: str) -> list[Record]:
        """Whitelist entries (the ONUs authorized by serial, with their place); `address SN`
        keeps the one entry of that serial, however the OLT filtered."""
        wanted = re.search(rf"address ({_SERIAL})", command, re.IGNORECASE)
        records: list[Record] = Nothing()
        layout: str | None = None
        for line in self.lines(command, output):
            if _WHITELIST_TITLE.match(line) or is_layout(line) or _WHITELIST_FOOTER.match(line):
                continue
            if _WHITELIST_BY_PLACE.match(line):
                layout = "place"
                continue
            if _WHITELIST_BY_SERIAL.match(line):
                layout = "serial"
                continue
            cells = line.split()
            record = _whitelist_record(cells, layout)
            if record is None:
                raise UnreadableOutput(self.vendor, command, line, "not a whitelist row")
            records.append(record)
        if wanted:
            serial = gpon_serial(wanted[1])
            records = Nothing(r for r in records if r["serial"] == serial)
        return records

    # -- one ONU -----------------------------------------------------------------------------
    def optic_module(self, command: str, output: str) -> list[Record]:
        """One ONU's optics: RECV POWER (at the ONU), SEND POWER, OLT RECV POWER."""
        onu = _COMMAND_ONU.search(command)
        assert onu is not None  # the command pattern requires it
        record: Record = {"port": port_of(onu[1], onu[2]), "onu_id": int(onu[3])}
        for line in self.lines(command, output):
            if _OPTIC_TITLE.match(line) or _OPTIC_HEADER.match(line) or is_layout(line):
                continue
            pair = _KEY_VALUE.match(line)
            key = " ".join(pair[1].upper().split()) if pair else None
            if pair is None or key not in _OPTIC_KEYS:
                raise UnreadableOutput(self.vendor, command, line, "not an optic module field")
            record[_OPTIC_KEYS[key]] = number(pair[2].split()[0] if pair[2].split() else None)
        if "rx_dbm" not in record:
            return []
        for key in ("tx_dbm", "olt_rx_dbm"):
            record.setdefault(key, None)
        record["run_state"] = "online"
        return [record]

    def onu_config(self, command: str, output: str) -> list[Record]:
        """The ONU's description, then one record per VLAN service (lab design)."""
        onu = _COMMAND_ONU.search(command)
        assert onu is not None  # the command pattern requires it
        port, onu_id = port_of(onu[1], onu[2]), int(onu[3])
        lines = self.lines(command, output)
        if not any(_CONFIG_TITLE.match(line) for line in lines):
            return []
        records: list[Record] = [{"port": port, "onu_id": onu_id, "description": None}]
        for line in lines:
            if _CONFIG_TITLE.match(line) or is_layout(line):
                continue
            desc = _CONFIG_DESC.match(line)
            service = _CONFIG_SERVICE.match(line)
            if desc:
                records[0]["description"] = text_or_none(desc[1])
            elif service:
                records.append(
                    {
                        "port": port,
                        "onu_id": onu_id,
                        "lan_port": int(service[1]),
                        "index": int(service[2]),
                        "vlan_mode": service[3],
                        "vlan": int(service[6]),
                    }
                )
            else:
                raise UnreadableOutput(self.vendor, command, line, "not an ONU setting")
        return records

    # -- the chassis -------------------------------------------------------------------------
    def version(self, command: str, output: str) -> list[Record]:
        fields: dict[str, str] = {}
        for line in self.lines(command, output):
            key, sep, value = line.partition(":")
            if sep and key.strip() in _VERSION_KEYS:
                fields[_VERSION_KEYS[key.strip()]] = value.strip()
        if not fields.get("model"):
            return []
        return [
            {
                "vendor": self.vendor,
                "model": fields["model"],
                "software": text_or_none(fields.get("software")),
                "hardware": text_or_none(fields.get("hardware")),
                "patch": None,
                "uptime": text_or_none(fields.get("uptime")),
            }
        ]

    def running_config(self, command: str, output: str) -> list[Record]:
        # Configuration lines are flat (`set …`): blanks in front are a pager stop's.
        lines = [line.lstrip() for line in self.lines(command, output)]
        if not any(_CONFIG_LINE.match(line) for line in lines):
            said = "; ".join(line.strip() for line in lines if line.strip())[:200]
            raise DeviceError(said or "no configuration in the answer", command)
        text = config_text(lines, volatile=_VOLATILE)
        return [{"config": text, "lines": text.count("\n")}]

    def no_records(self, command: str, output: str) -> list[Record]:
        return []


def _whitelist_record(cells: list[str], layout: str | None) -> Record | None:
    """A whitelist row by its header's layout; the Phy-Pwd cell (a secret) may be empty."""
    if layout == "place" and len(cells) in (6, 7) and all(c.isdigit() for c in cells[:3]):
        slot, pon, onu, kind, serial = cells[:5]
        used = cells[-1]
    elif layout == "serial" and len(cells) in (7, 8) and cells[-6].isdigit():
        serial = cells[0]
        slot, pon, onu, kind = cells[-6:-2]
        used = cells[-1]
    else:
        return None
    if not (slot.isdigit() and pon.isdigit() and onu.isdigit()) or not _SERIAL_ONLY.match(serial):
        return None
    return {
        "port": port_of(slot, pon),
        "onu_id": int(onu),
        "serial": serial_of(serial),
        "onu_type": text_or_none(None if kind.lower() == "null" else kind),
        "used": used.upper() in ("Y", "YES"),
    }
