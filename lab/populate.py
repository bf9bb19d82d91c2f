"""Fill an OLT's PON ports with an outside plant and customers, from a seeded generator.

Each PON: a feeder to a cabinet with a 1:8 primary splitter, one leg per CTO, a 1:8 or 1:16
splitter in each CTO, a drop cable to the house. A few units get a fault that real networks
have (a dirty connector, an unplugged ONU, a loose fibre that makes it flap, an ONU patched
straight into the cabinet), so audits find something. The same seed gives the same plant.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, replace

from ispflow.lab.catalog import (
    FOREIGN_VENDOR_IDS,
    equipment_sn_makers,
    native_vendor_ids,
    onu_models,
)
from ispflow.lab.model import Cto, Device, LabOlt, PonPort
from ispflow.lab.optics import Path, Transceiver, read
from ispflow.lab.profiles import default_lab_olt_vendors

DAY = 86400.0


@dataclass(frozen=True)
class PlantSpec:
    pons: int
    onus_per_pon: int
    autofind_per_pon: int
    olt_number: int  # 1-based, for CTO codes
    site: str


def boards_needed(pons: int, ports_per_board: int) -> int:
    return max(1, math.ceil(pons / ports_per_board))


def populate(olt: LabOlt, spec: PlantSpec, rng: random.Random, taken: set[str]) -> None:
    """`taken` holds serials already used elsewhere in the fleet; new ones are added to it."""
    ports = list(olt.pons.values())[: spec.pons]
    for number, pon in enumerate(ports, start=1):
        _build_pon(olt, pon, number, spec, rng, taken)
    _inject_faults(olt, rng)
    _dirty_new_install(olt, rng)


def _build_pon(
    olt: LabOlt, pon: PonPort, number: int, spec: PlantSpec, rng: random.Random, taken: set[str]
) -> None:
    total = min(spec.onus_per_pon + spec.autofind_per_pon, 128)
    pon.launch_dbm = round(rng.uniform(3.0, 5.0), 2)
    pon.feeder_km = round(rng.uniform(0.5, 6.0), 2)
    pon.vlan = 100 + number
    cto_ratio = 16 if total > 48 else rng.choice((8, 16))
    cto_count = max(1, min(pon.primary_splitter, math.ceil(total / cto_ratio)))
    pon.ctos = [
        Cto(
            code=f"CTO-{spec.site.upper()}{spec.olt_number:02d}-{number:02d}{n:02d}",
            splitter=cto_ratio,
            distance_km=round(rng.uniform(0.1, 1.5), 2),
        )
        for n in range(1, cto_count + 1)
    ]
    free = {cto.code: list(range(1, cto.splitter + 1)) for cto in pon.ctos}
    for _ in range(total):
        open_ctos = [cto for cto in pon.ctos if free[cto.code]]
        if not open_ctos:
            break
        cto = rng.choice(open_ctos)
        cto_port = free[cto.code].pop(rng.randrange(len(free[cto.code])))
        pon.devices.append(_device(olt, pon, cto, cto_port, rng, taken))

    now = olt.clock()
    onu_id = olt.id_range.start
    for device in pon.devices[: spec.onus_per_pon]:
        if rng.random() < 0.05:
            onu_id += 1  # a customer who left: ids have gaps, as on any OLT in service
        description = f"{device.cto}_P{device.cto_port:02d}"
        olt.profile.provision(olt, pon, device, onu_id, description)
        ont = pon.onts[onu_id]
        ont.added_at = now - rng.uniform(40 * DAY, 400 * DAY)
        ont.last_up = now - rng.uniform(3600.0, 40 * DAY)
        if rng.random() < 0.5:
            ont.last_down = ont.last_up - rng.uniform(60.0, 3600.0)
        onu_id += 1
    for device in pon.devices[spec.onus_per_pon :]:
        device.found_at = now - rng.uniform(300.0, 2 * DAY)


def _device(
    olt: LabOlt, pon: PonPort, cto: Cto, cto_port: int, rng: random.Random, taken: set[str]
) -> Device:
    natives = native_vendor_ids()
    native = natives[olt.vendor]
    roll = rng.random()
    if roll < 0.82:
        vendor_id = native
    elif roll < 0.94:
        # Other OLT vendors' ONUs are drawn from the default fleet's vendors only: a vendor
        # added to the lab later leaves every seed's plant as it was.
        others = (natives[vendor] for vendor in default_lab_olt_vendors())
        vendor_id = _other_vendor_id(native, others, rng)
    else:
        vendor_id = rng.choice(FOREIGN_VENDOR_IDS)
    model = rng.choice(onu_models(vendor_id))
    while True:
        serial = vendor_id + f"{rng.getrandbits(32):08X}"
        if serial not in taken:
            taken.add(serial)
            break
    oui = rng.choice(model.ouis).lower()
    mac = oui + ":" + ":".join(f"{rng.randrange(256):02x}" for _ in range(3))
    path = Path(
        fibre_km=round(pon.feeder_km + cto.distance_km + rng.uniform(0.03, 0.3), 3),
        splitters=(pon.primary_splitter, cto.splitter),
        connectors=4,
    )
    unit = Transceiver(
        tx_dbm=round(rng.uniform(1.6, 3.6), 2),
        noise_db=max(-1.0, min(1.0, rng.gauss(0.0, 0.4))),
        temperature_c=rng.randint(34, 62),
        voltage_v=round(rng.choice(range(3200, 3380, 20)) / 1000, 3),
        bias_ma=rng.randint(5, 20),
    )
    return Device(
        serial=serial,
        mac=mac,
        model=model,
        equipment_sn=_equipment_sn(vendor_id, rng),
        path=path,
        unit=unit,
        cto=cto.code,
        cto_port=cto_port,
        found_at=olt.clock(),
    )


def _other_vendor_id(native: str, natives: Iterable[str], rng: random.Random) -> str:
    """An ONU of another OLT vendor in the lab (a draw only when there is a choice, so a
    two-vendor lab keeps the plant its seed always gave)."""
    others = sorted(set(natives) - {native})
    if not others:
        return native
    return others[0] if len(others) == 1 else rng.choice(others)


def _equipment_sn(vendor_id: str, rng: random.Random) -> str:
    make = equipment_sn_makers().get(vendor_id)
    if make is not None:
        return make(rng)
    return f"{vendor_id}{rng.randint(10**11, 10**12 - 1)}"


def _inject_faults(olt: LabOlt, rng: random.Random) -> None:
    """Across the OLT's configured ONUs: a few critical, a couple overloaded, offline, flapping."""
    candidates = [
        (port, device)
        for port, _ont, device in olt.records()
        if device is not None and device.condition == "ok"
    ]
    if len(candidates) < 4:
        return
    rng.shuffle(candidates)
    n = len(candidates)
    plan = (
        ("critical", max(1, round(n * 0.05))),
        ("overload", 1 if n < 40 else 2),
        ("offline", max(1, round(n * 0.04))),
        ("flapping", max(1, round(n * 0.02))),
    )
    position = 0
    for kind, count in plan:
        for port, device in candidates[position : position + count]:
            _apply_fault(olt, port, device, kind, rng)
        position += count


def _dirty_new_install(olt: LabOlt, rng: random.Random) -> None:
    """One ONU waiting in autofind sits behind a dirty connector: the install that must be undone."""
    waiting = [
        (port, device)
        for port in olt.pons.values()
        for device in port.devices
        if device.condition == "ok" and not port.configured(device)
    ]
    if len(waiting) >= 2:
        port, device = rng.choice(waiting)
        _apply_fault(olt, port, device, "critical", rng)


def _apply_fault(olt: LabOlt, port: PonPort, device: Device, kind: str, rng: random.Random) -> None:
    if kind == "critical":
        # A dirty connector or a tight bend somewhere on the drop.
        rx = read(port.launch_dbm, device.path, device.unit).onu_rx_dbm
        extra = (rx + 27.0) + rng.uniform(0.5, 3.0)
        device.path = replace(device.path, extra_db=round(extra, 2))
    elif kind == "overload":
        # Patched in the cabinet onto a 1:4 leg a few hundred metres out: far too hot.
        device.path = Path(fibre_km=round(rng.uniform(0.2, 0.5), 3), splitters=(4,), connectors=3)
        device.cto = None
        device.cto_port = None
    elif kind == "offline":
        device.condition = "offline"
        device.down_cause = rng.choice(("LOS", "dying-gasp"))
        for ont in port.onts.values():
            if ont.serial == device.serial:
                ont.last_down = olt.clock() - rng.uniform(600.0, 5 * DAY)
                ont.last_up = ont.last_down - rng.uniform(DAY, 30 * DAY)
    else:
        device.condition = "flapping"
        device.down_cause = "LOS"
