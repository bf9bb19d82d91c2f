"""The physical and configured state of a simulated OLT: PON ports, splitters, CTOs, ONUs.

Two things are kept apart, as on a real network: what is plugged into the fibre (`Device`,
the ONU in the customer's house) and what the OLT is configured with (`Ont`, the record an
`ont add` / `onu N type … sn …` creates). An ONU waiting in autofind is a device without a
record; a record without a device is an ONT the OLT keeps waiting for (offline, initial).

Pure Python, no I/O. Every public method of `LabOlt` takes the OLT's lock, so the SSH
sessions and a test poking at the model from another thread see consistent state.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import wraps
from typing import Literal, NamedTuple, ParamSpec, TypeVar

from ispflow.lab.catalog import OltModel, OnuModel
from ispflow.lab.optics import Path, Reading, Transceiver, read
from ispflow.lab.profiles import olt_profile

# A registered OLT vendor with a lab profile (lab/profiles.py).
Vendor = str
Condition = Literal["ok", "offline", "flapping"]

P = ParamSpec("P")
R = TypeVar("R")


class LabError(Exception):
    """An operation the OLT refuses; `code` says why, the CLIs turn it into vendor text."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


# -- physical side ------------------------------------------------------------------------
@dataclass
class Device:
    """An ONU on the fibre, whether or not the OLT is configured for it."""

    serial: str  # vendor form: HWTC0B086EA9
    mac: str  # aa:bb:cc:dd:ee:ff
    model: OnuModel
    equipment_sn: str
    path: Path
    unit: Transceiver
    cto: str | None = None
    cto_port: int | None = None
    condition: Condition = "ok"
    down_cause: str = "dying-gasp"  # why it is dark when it is: LOS (fibre) or dying-gasp (power)
    found_at: float = field(default_factory=time.time)
    flaps: int = 0  # reads so far, for flapping units

    @property
    def vendor_id(self) -> str:
        return self.serial[:4]

    @property
    def serial_hex(self) -> str:
        return serial_hex(self.serial)


@dataclass
class Cto:
    """A street box ("caixa de terminação óptica") with its own splitter."""

    code: str
    splitter: int
    distance_km: float  # from the cabinet's primary splitter


@dataclass
class ServicePort:
    """Huawei: a global `service-port` index. ZTE: `service-port N vport V` inside the ONU."""

    index: int
    vlan: int
    pon: str
    onu_id: int
    gemport: int  # on ZTE the vport
    user_vlan: int
    tag_transform: str = "translate"
    inbound: int | None = None
    outbound: int | None = None


@dataclass
class Ont:
    """The OLT's configuration record for one ONU id on one PON."""

    onu_id: int
    serial: str | None
    mac: str | None
    line_profile: str
    srv_profile: str
    description: str
    onu_type: str = ""
    added_at: float = field(default_factory=time.time)
    last_up: float | None = None
    last_down: float | None = None
    down_cause: str | None = None  # of the last down the OLT saw a plant fault cause
    service_ports: dict[int, ServicePort] = field(default_factory=dict)  # ZTE, per ONU
    if_config: dict[str, str] = field(default_factory=dict)  # ZTE `interface gpon-onu_…` lines
    mng_config: dict[str, str] = field(default_factory=dict)  # ZTE `pon-onu-mng …` lines

    @property
    def auth(self) -> str:
        return "sn" if self.serial else "mac"


@dataclass
class PonPort:
    address: tuple[int, int, int]
    launch_dbm: float = 4.0
    primary_splitter: int = 8
    feeder_km: float = 0.0
    vlan: int = 100
    ctos: list[Cto] = field(default_factory=list)
    devices: list[Device] = field(default_factory=list)
    onts: dict[int, Ont] = field(default_factory=dict)
    name: str = field(init=False)

    def __post_init__(self) -> None:
        self.name = "/".join(str(part) for part in self.address)

    def devices_by_id(self) -> dict[str, Device]:
        """The PON's devices by serial and by MAC, for looking many ONUs up at once."""
        found: dict[str, Device] = {}
        for device in reversed(self.devices):  # the first device wins, as in device_for
            if device.mac:
                found[f"mac:{device.mac}"] = device
            if device.serial:
                found[f"sn:{device.serial}"] = device
        return found

    def device_for(self, ont: Ont) -> Device | None:
        for device in self.devices:
            if (ont.serial and device.serial == ont.serial) or (ont.mac and device.mac == ont.mac):
                return device
        return None

    def configured(self, device: Device) -> bool:
        return any(
            ont.serial == device.serial or (ont.mac is not None and ont.mac == device.mac)
            for ont in self.onts.values()
        )


# -- read-only views handed to the CLIs ---------------------------------------------------
class OnuView(NamedTuple):
    """One configured ONU as a single command sees it (flapping is decided once per read).

    A tuple, not a frozen dataclass: a PON's tables build one per ONU for every command, and
    a frozen dataclass of these fields costs four times as much to build."""

    pon: str
    onu_id: int
    serial: str | None
    mac: str | None
    auth: str
    description: str
    line_profile: str
    srv_profile: str
    onu_type: str
    present: bool
    online: bool
    ever_up: bool
    down_cause: str
    model: OnuModel | None
    equipment_sn: str
    reading: Reading | None
    distance_m: int | None
    last_up: float | None
    last_down: float | None
    added_at: float
    cto: str | None
    service_ports: tuple[ServicePort, ...]
    if_config: tuple[str, ...]
    mng_config: tuple[str, ...]


class OnuReading(NamedTuple):
    """What a bulk optical read needs of one ONU: far cheaper to build than an OnuView."""

    pon: str
    onu_id: int
    reading: Reading | None


@dataclass(frozen=True)
class AutofindEntry:
    pon: str
    device: Device


def _locked(method: Callable[P, R]) -> Callable[P, R]:
    @wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with args[0].lock:  # type: ignore[attr-defined]
            return method(*args, **kwargs)

    return wrapper


# -- the OLT --------------------------------------------------------------------------------
# Why a dark ONU is dark, in the lab's words (each vendor's CLI prints its own): the light
# is gone (a fibre fault anywhere upstream), or the power is (the ONU sends a dying gasp).
LOS = "LOS"
DYING_GASP = "dying-gasp"


def _summed(pairs: tuple[tuple[str, float], ...]) -> dict[str, float]:
    sums: dict[str, float] = {}
    for key, db in pairs:
        sums[key] = sums.get(key, 0) + db
    return sums


@dataclass(frozen=True)
class PlantFaults:
    """Faults in the outside plant, set while the lab runs (`ispflow lab fault --cut-cto`):
    a cut fibre behind a CTO, a cut feeder, a dead OLT port or board, a dirty connector on
    one drop or in one CTO, a flapping ONU, an ONU not plugged in yet (the technician has
    not got there), a power outage over a CTO's area or one customer's, a cut drop."""

    cut_ctos: frozenset[str] = frozenset()
    down_pons: frozenset[str] = frozenset()
    extra_db: tuple[tuple[str, float], ...] = ()  # (serial, dB) pairs
    flapping: frozenset[str] = frozenset()
    unplugged: frozenset[str] = frozenset()
    cut_feeders: frozenset[str] = frozenset()  # PONs whose feeder (primary splitter) is cut
    down_boards: frozenset[int] = frozenset()  # slots
    cto_extra_db: tuple[tuple[str, float], ...] = ()  # (CTO, dB) pairs
    power_off_ctos: frozenset[str] = frozenset()
    powered_off: frozenset[str] = frozenset()  # serials
    cut_drops: frozenset[str] = frozenset()  # serials
    # No fault that darkens an ONU: a bulk read of a sound plant checks nothing per ONU.
    darkens: bool = field(init=False, compare=False)
    # The extra loss by serial and by CTO, summed once: every ONU of every read asks.
    _by_serial: dict[str, float] = field(init=False, compare=False, repr=False)
    _by_cto: dict[str, float] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        dark = (
            self.down_pons, self.down_boards, self.cut_ctos, self.cut_feeders, self.cut_drops,
            self.unplugged, self.powered_off, self.power_off_ctos,
        )  # fmt: skip
        object.__setattr__(self, "darkens", any(dark))
        object.__setattr__(self, "_by_serial", _summed(self.extra_db))
        object.__setattr__(self, "_by_cto", _summed(self.cto_extra_db))

    def extra_for(self, serial: str | None, cto: str | None = None) -> float:
        by_serial = self._by_serial.get(serial, 0) if serial is not None else 0
        return by_serial + (self._by_cto.get(cto, 0) if cto is not None else 0)

    def dark_cause(self, pon: str, slot: int, device: Device) -> str | None:
        """Why a plant fault keeps this ONU dark (LOS or dying-gasp), None if none does.

        A fibre fault upstream wins over a power cut: with no light, the OLT has already
        lost the ONU before its power goes. An unplugged ONU is as one whose power is off.
        """
        cto = device.cto
        if (
            pon in self.down_pons
            or slot in self.down_boards
            or (cto is not None and (cto in self.cut_ctos or pon in self.cut_feeders))
            or device.serial in self.cut_drops
        ):
            return LOS
        if (
            device.serial in self.unplugged
            or device.serial in self.powered_off
            or (cto is not None and cto in self.power_off_ctos)
        ):
            return DYING_GASP
        return None


class LabOlt:
    def __init__(
        self,
        name: str,
        model: OltModel,
        *,
        site: str = "poa",
        boards: int = 1,
        frame: int | None = None,
        clock: Callable[[], float] = time.time,
        firmware: str | None = None,
    ) -> None:
        self.name = name
        self.model = model
        self.profile = olt_profile(model.vendor)
        numbering = self.profile.numbering
        generations = model.generations
        if firmware is not None and firmware not in generations:
            raise LabError("bad-firmware", f"{model.name} runs {', '.join(generations)}")
        # The software generation decides which of the vendor's output layouts it prints.
        self.firmware = firmware or generations[0]
        self.site = site
        self.clock = clock
        self.started_at = clock()
        self.lock = threading.RLock()
        self.plant = PlantFaults()
        self.frame = numbering.frame if frame is None else frame
        first_port = numbering.first_port
        self.slots = [model.first_slot + n for n in range(boards)]
        self.pons: dict[str, PonPort] = {}
        for slot in self.slots:
            for port in range(first_port, first_port + model.ports_per_board):
                pon = PonPort((self.frame, slot, port))
                self.pons[pon.name] = pon
        # Where the vendor numbers service ports across the OLT; ONUs keep their own otherwise.
        self.service_ports: dict[int, ServicePort] = {}
        self._olt_wide_service_ports = numbering.service_port_scope == "olt"
        # The OLT-wide table grouped by ONU, for bulk reads; None after any change to it.
        self._grouped_service_ports: dict[tuple[str, int], list[ServicePort]] | None = None

    # identity --------------------------------------------------------------------------
    @property
    def vendor(self) -> Vendor:
        return self.model.vendor

    @property
    def id_range(self) -> range:
        return self.profile.numbering.onu_ids

    def pon(self, name: str) -> PonPort:
        try:
            return self.pons[name]
        except KeyError:
            raise LabError("no-port", name) from None

    def has_board(self, frame: int, slot: int) -> bool:
        return frame == self.frame and slot in self.slots

    def populated(self) -> list[PonPort]:
        return [pon for pon in self.pons.values() if pon.devices or pon.onts]

    # discovery -------------------------------------------------------------------------
    @_locked
    def autofind(self, pon: str | None = None) -> list[AutofindEntry]:
        """Powered ONUs that no record on their port claims, in port order."""
        ports = [self.pon(pon)] if pon else list(self.pons.values())
        entries = []
        for port in ports:
            for device in port.devices:
                if self.plant.darkens and self.plant.dark_cause(port.name, port.address[1], device):
                    continue  # no light or no power: it cannot ask to be authorized
                if device.condition != "offline" and not port.configured(device):
                    entries.append(AutofindEntry(port.name, device))
        return entries

    # provisioning ----------------------------------------------------------------------
    @_locked
    def authorize(
        self,
        pon: str,
        *,
        serial: str | None = None,
        mac: str | None = None,
        onu_id: int | None = None,
        line_profile: str = "",
        srv_profile: str = "",
        description: str = "",
        onu_type: str = "",
    ) -> int:
        """Create the record; the caller chooses the id, or (Huawei) the lowest free one is taken."""
        port = self.pon(pon)
        if serial is None and mac is None:
            raise LabError("no-identity")
        for other in self.pons.values():
            for ont in other.onts.values():
                if serial and ont.serial == serial:
                    raise LabError("sn-exists", f"{other.name}:{ont.onu_id}")
                if mac and ont.mac == mac:
                    raise LabError("mac-exists", f"{other.name}:{ont.onu_id}")
        if onu_id is None:
            free = [n for n in self.id_range if n not in port.onts]
            if not free:
                raise LabError("port-full", pon)
            onu_id = free[0]
        elif onu_id not in self.id_range:
            raise LabError("bad-id", str(onu_id))
        elif onu_id in port.onts:
            raise LabError("id-exists", f"{pon}:{onu_id}")
        now = self.clock()
        ont = Ont(
            onu_id=onu_id,
            serial=serial,
            mac=mac,
            line_profile=str(line_profile),
            srv_profile=str(srv_profile),
            description=description,
            onu_type=onu_type,
            added_at=now,
        )
        device = port.device_for(ont)
        if device is not None and device.condition != "offline":
            ont.last_up = now
        port.onts[onu_id] = ont
        return onu_id

    @_locked
    def deauthorize(self, pon: str, onu_id: int) -> None:
        port = self.pon(pon)
        if onu_id not in port.onts:
            raise LabError("no-onu", f"{pon}:{onu_id}")
        if any(sp.pon == pon and sp.onu_id == onu_id for sp in self.service_ports.values()):
            raise LabError("has-service-ports", f"{pon}:{onu_id}")
        del port.onts[onu_id]

    @_locked
    def deauthorize_all(self, pon: str) -> tuple[int, int]:
        """(deleted, refused): ONTs still referenced by service ports stay."""
        port = self.pon(pon)
        deleted = refused = 0
        for onu_id in sorted(port.onts):
            try:
                self.deauthorize(pon, onu_id)
                deleted += 1
            except LabError:
                refused += 1
        return deleted, refused

    @_locked
    def set_onu_config(self, pon: str, onu_id: int, area: str, key: str, line: str | None) -> None:
        """ZTE interface / pon-onu-mng lines; None removes the key."""
        ont = self._ont(pon, onu_id)
        target = ont.if_config if area == "if" else ont.mng_config
        if line is None:
            target.pop(key, None)
        else:
            target[key] = line

    @_locked
    def set_description(self, pon: str, onu_id: int, description: str) -> None:
        self._ont(pon, onu_id).description = description

    def _ont(self, pon: str, onu_id: int) -> Ont:
        ont = self.pon(pon).onts.get(onu_id)
        if ont is None:
            raise LabError("no-onu", f"{pon}:{onu_id}")
        return ont

    # service ports ---------------------------------------------------------------------
    @_locked
    def add_service_port(
        self,
        pon: str,
        onu_id: int,
        *,
        vlan: int,
        gemport: int,
        user_vlan: int,
        index: int | None = None,
        tag_transform: str = "translate",
        inbound: int | None = None,
        outbound: int | None = None,
    ) -> int:
        """An index in the OLT's table or in the ONU's, as the vendor numbers them (the lowest
        free one when none is given)."""
        ont = self._ont(pon, onu_id)
        table = self.service_ports if self._olt_wide_service_ports else ont.service_ports
        if index is None:
            first = self.profile.numbering.first_service_port
            index = next(n for n in range(first, 1 << 16) if n not in table)
        elif index in table:
            raise LabError("sp-index-exists", str(index))
        for existing in table.values():
            same_flow = (existing.pon, existing.onu_id, existing.gemport, existing.user_vlan)
            if same_flow == (pon, onu_id, gemport, user_vlan):
                raise LabError("sp-exists", str(existing.index))
        table[index] = ServicePort(
            index, vlan, pon, onu_id, gemport, user_vlan, tag_transform, inbound, outbound
        )
        self._grouped_service_ports = None
        return index

    @_locked
    def remove_service_port(
        self, index: int, pon: str | None = None, onu_id: int | None = None
    ) -> None:
        table = self.service_ports if pon is None else self._ont(pon, onu_id or 0).service_ports
        if table.pop(index, None) is None:
            raise LabError("no-service-port", str(index))
        self._grouped_service_ports = None

    @_locked
    def remove_onu_service_ports(self, pon: str, onu_id: int) -> int:
        doomed = [
            index
            for index, sp in self.service_ports.items()
            if sp.pon == pon and sp.onu_id == onu_id
        ]
        for index in doomed:
            del self.service_ports[index]
        self._grouped_service_ports = None
        return len(doomed)

    @_locked
    def service_ports_of(self, pon: str, onu_id: int) -> list[ServicePort]:
        if self._olt_wide_service_ports:
            return sorted(
                (sp for sp in self.service_ports.values() if sp.pon == pon and sp.onu_id == onu_id),
                key=lambda sp: sp.index,
            )
        ont = self.pon(pon).onts.get(onu_id)
        return sorted(ont.service_ports.values(), key=lambda sp: sp.index) if ont else []

    # reads -----------------------------------------------------------------------------
    @_locked
    def snapshot(self, pon: str, *, detail: bool = True) -> list[OnuView]:
        """Every configured ONU of a PON as the OLT sees it now. With `detail` False the views
        carry no optical reading and no service ports (None and ()): for tables that print
        neither (a state table, the PON's configuration), which cost a fraction to serve."""
        port = self.pon(pon)
        grouped = self._service_ports_by_onu() if detail and self._olt_wide_service_ports else None
        devices = port.devices_by_id()
        return [
            self._view(port, port.onts[onu_id], grouped, devices, detail=detail)
            for onu_id in sorted(port.onts)
        ]

    @_locked
    def pon_service_ports(
        self, pon: str, onu_id: int | None = None
    ) -> list[tuple[ServicePort, bool]]:
        """Huawei: the service ports of one PON (or of one ONU on it) by index, each with
        whether its ONU is online (the table's STATE); every ONU is observed once."""
        port = self.pon(pon)
        grouped = self._service_ports_by_onu()
        devices = port.devices_by_id()
        rows: list[tuple[ServicePort, bool]] = []
        for number in sorted(port.onts) if onu_id is None else [onu_id]:
            ont = port.onts.get(number)
            ports = grouped.get((pon, number))
            if ont is None or not ports:
                continue
            online = self._observe(self._device(port, ont, devices), ont, pon)
            rows += [(sp, online) for sp in ports]
        return sorted(rows, key=lambda row: row[0].index)

    def _service_ports_by_onu(self) -> dict[tuple[str, int], list[ServicePort]]:
        # An OLT-wide table is grouped once per change, so reads of a PON or of all its ONUs
        # never search the whole table per ONU.
        if self._grouped_service_ports is None:
            grouped: dict[tuple[str, int], list[ServicePort]] = {}
            for sp in sorted(self.service_ports.values(), key=lambda sp: sp.index):
                grouped.setdefault((sp.pon, sp.onu_id), []).append(sp)
            self._grouped_service_ports = grouped
        return self._grouped_service_ports

    @_locked
    def readings(self, pon: str) -> list[OnuReading]:
        """Every configured ONU's optical reading on a PON (None while offline)."""
        port = self.pon(pon)
        devices = port.devices_by_id()
        found = []
        for onu_id in sorted(port.onts):
            ont = port.onts[onu_id]
            device = self._device(port, ont, devices)
            online = self._observe(device, ont, port.name, advance=True)
            reading = self._read(port, device) if online and device else None
            found.append(OnuReading(port.name, onu_id, reading))
        return found

    @_locked
    def snapshot_onu(self, pon: str, onu_id: int) -> OnuView:
        port = self.pon(pon)
        ont = port.onts.get(onu_id)
        if ont is None:
            raise LabError("no-onu", f"{pon}:{onu_id}")
        return self._view(port, ont)

    @_locked
    def find(self, serial: str | None = None, mac: str | None = None) -> OnuView | None:
        for port in self.pons.values():
            for onu_id in sorted(port.onts):
                ont = port.onts[onu_id]
                if (serial and ont.serial == serial) or (mac and ont.mac == mac):
                    return self._view(port, ont)
        return None

    @_locked
    def records(self) -> list[tuple[PonPort, Ont, Device | None]]:
        """Every record with its device, for describing the fleet (no flapping side effects)."""
        return [
            (port, port.onts[onu_id], port.device_for(port.onts[onu_id]))
            for port in self.pons.values()
            for onu_id in sorted(port.onts)
        ]

    def _view(
        self,
        port: PonPort,
        ont: Ont,
        grouped: dict[tuple[str, int], list[ServicePort]] | None = None,
        devices: dict[str, Device] | None = None,
        *,
        detail: bool = True,
    ) -> OnuView:
        device = self._device(port, ont, devices)
        if not detail:
            service_ports: tuple[ServicePort, ...] = ()
        elif grouped is not None:
            service_ports = tuple(grouped.get((port.name, ont.onu_id), ()))
        else:
            service_ports = tuple(self.service_ports_of(port.name, ont.onu_id))
        online = self._observe(device, ont, port.name)
        reading = self._read(port, device) if detail and online and device else None
        return OnuView(
            pon=port.name,
            onu_id=ont.onu_id,
            serial=ont.serial,
            mac=ont.mac,
            auth=ont.auth,
            description=ont.description,
            line_profile=ont.line_profile,
            srv_profile=ont.srv_profile,
            onu_type=ont.onu_type,
            present=device is not None,
            online=online,
            ever_up=ont.last_up is not None,
            down_cause=self._down_cause(device, ont),
            model=device.model if device and ont.last_up is not None else None,
            equipment_sn=device.equipment_sn if device else "",
            reading=reading,
            distance_m=device.path.distance_m if device and online else None,
            last_up=ont.last_up,
            last_down=ont.last_down,
            added_at=ont.added_at,
            cto=device.cto if device else None,
            service_ports=service_ports,
            if_config=tuple(ont.if_config.values()),
            mng_config=tuple(ont.mng_config.values()),
        )

    @staticmethod
    def _device(port: PonPort, ont: Ont, devices: dict[str, Device] | None) -> Device | None:
        if devices is None:
            return port.device_for(ont)
        return (
            (ont.serial and devices.get(f"sn:{ont.serial}"))
            or (ont.mac and devices.get(f"mac:{ont.mac}"))
            or None
        )

    @staticmethod
    def _down_cause(device: Device | None, ont: Ont) -> str:
        """The cause of the ONU's last down: its own while it has been dark since before any
        fault (seeded offline), else the one a plant fault gave it, else its own."""
        if device is None:
            return LOS
        if device.condition == "offline":
            return device.down_cause
        return ont.down_cause or device.down_cause

    def _read(self, port: PonPort, device: Device) -> Reading:
        extra = self.plant.extra_for(device.serial, device.cto)
        path = replace(device.path, extra_db=device.path.extra_db + extra) if extra else device.path
        return read(port.launch_dbm, path, device.unit)

    def _observe(self, device: Device | None, ont: Ont, pon: str, *, advance: bool = False) -> bool:
        if device is None or device.condition == "offline":
            return False
        plant = self.plant
        cause = plant.dark_cause(pon, self.pons[pon].address[1], device) if plant.darkens else None
        if cause is not None:
            # An ONT never seen up has no down to tell of (ZTE: OffLine, Huawei: `-`).
            if ont.last_up is not None:
                ont.last_down = self.clock()
                ont.down_cause = cause
            return False
        if device.condition == "ok" and device.serial not in plant.flapping:
            return True
        # A flapping unit alternates with every optical read of its PON (one per audit, as a
        # poll every few minutes sees it), and its history says so; other reads in between
        # (the PON's ONU list, say) see it as the last optical read left it.
        if not advance:
            return device.flaps % 2 == 0
        device.flaps += 1
        online = device.flaps % 2 == 0
        now = self.clock()
        if online:
            ont.last_up = now
        else:
            ont.last_down = now
            ont.down_cause = LOS  # a loose connector or a bent drop: the light comes and goes
        return online


# -- serial and MAC forms ----------------------------------------------------------------
SERIAL_RE = re.compile(r"^([A-Za-z0-9]{4})-?([0-9A-Fa-f]{8})$")
SERIAL_HEX_RE = re.compile(r"^[0-9A-Fa-f]{16}$")


def serial_hex(serial: str) -> str:
    """HWTC0B086EA9 → 485754430B086EA9: the vendor id's ASCII codes, then the 8 hex digits."""
    return serial[:4].encode("ascii").hex().upper() + serial[4:].upper()


def canonical_serial(text: str) -> str | None:
    """Any of HWTC0B086EA9, HWTC-0B086EA9, 485754430B086EA9 (quoted or not) → HWTC0B086EA9."""
    text = text.strip().strip('"')
    if SERIAL_HEX_RE.match(text):
        try:
            vendor = bytes.fromhex(text[:8]).decode("ascii")
        except (UnicodeDecodeError, ValueError):
            return None
        if not vendor.isalnum():
            return None
        return vendor.upper() + text[8:].upper()
    match = SERIAL_RE.match(text)
    if match:
        return match.group(1).upper() + match.group(2).upper()
    return None


def canonical_mac(text: str) -> str | None:
    digits = re.sub(r"[^0-9A-Fa-f]", "", text)
    if len(digits) != 12 or len(re.sub(r"[0-9A-Fa-f.:-]", "", text)):
        return None
    digits = digits.lower()
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))
