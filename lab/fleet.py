"""A lab fleet from a handful of knobs, and its description for others to seed a store from.

OLT names follow the bundled inventory (`olt-poa-01`, `olt-poa-02`, `olt-cwb-01`, …: two
OLTs per site), vendors alternate in the order given, models cycle through each vendor's
usual boxes that have room for the requested PON count. Every OLT draws from its own
generator seeded with (seed, name), so adding an OLT does not reshuffle the others.

Each OLT runs one of its model's firmware generations (`--firmware`): a real fleet mixes
them, so by default the OLTs of one model take its generations in turn.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ispflow.lab.behaviour import Behaviour
from ispflow.lab.catalog import SITES, firmware_table, olt_models
from ispflow.lab.model import LabOlt
from ispflow.lab.optics import read, signal_class
from ispflow.lab.populate import PlantSpec, boards_needed, populate
from ispflow.lab.profiles import default_lab_olt_vendors, lab_olt_vendors, olt_profile
from ispflow.lab.sshd import LabDevice
from ispflow.plugins.vendors import olt_vendor

ALARM_RATE = 0.3


class FleetError(ValueError):
    pass


@dataclass(frozen=True)
class FleetSpec:
    olts: int = 4
    vendors: tuple[str, ...] = default_lab_olt_vendors()
    pons: int = 4  # populated PON ports per OLT
    onus: int = 16  # authorized ONUs per PON
    autofind: int = 2  # ONUs per PON waiting to be authorized
    latency_ms: float = 0.0
    login_ms: float = 0.0
    seed: int = 7
    base_port: int = 10201  # 0: any free ports
    host: str = "127.0.0.1"
    username: str = "lab"
    password: str = "lab"
    alarms: bool = False
    concentrators: int = 2  # MikroTik PPPoE concentrators (RouterOS API), after the OLTs' ports
    api_tls: bool = True  # the concentrators' API over TLS (RouterOS api-ssl); off: plain api
    firmware: str = "mixed"  # mixed | newest | oldest | GENERATION | MODEL=GEN,MODEL=GEN

    @property
    def ports_needed(self) -> int:
        return self.olts + self.concentrators

    def check(self) -> None:
        if self.olts < 1:
            raise FleetError("the lab needs at least one OLT")
        known = lab_olt_vendors()
        unknown = [vendor for vendor in self.vendors if vendor not in known]
        if unknown or not self.vendors:
            raise FleetError(
                f"unknown vendor(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(known)}"
            )
        if self.pons < 1 or self.onus < 0 or self.autofind < 0:
            raise FleetError("--pons must be at least 1, --onus and --autofind at least 0")
        if self.onus + self.autofind > 128:
            raise FleetError("a GPON port takes at most 128 ONUs (--onus + --autofind)")
        if self.concentrators < 0:
            raise FleetError("--concentrators must be 0 or more")
        if self.base_port and not 1024 <= self.base_port <= 65535 - self.ports_needed:
            raise FleetError(
                f"--port {self.base_port}: choose a base port between 1024 and "
                f"{65535 - self.ports_needed}"
            )
        assign_firmware(self.firmware, plan_models(self))


def _names(count: int) -> list[tuple[str, str]]:
    sites = list(SITES)
    names = []
    for index in range(count):
        site = sites[(index // 2) % len(sites)]
        number = index % 2 + 1 + 2 * (index // (2 * len(sites)))
        names.append((f"olt-{site}-{number:02d}", site))
    return names


def _model(vendor: str, turn: int, pons: int) -> str:
    models = olt_models()
    fitting = [
        name
        for name in olt_profile(vendor).default_models
        if models[name].ports_per_board * models[name].max_boards >= pons
    ]
    if not fitting:
        raise FleetError(f"no {vendor} model in the lab holds {pons} PON ports")
    return fitting[turn % len(fitting)]


def plan_models(spec: FleetSpec) -> list[str]:
    """The model of every OLT, in fleet order."""
    turns: dict[str, int] = {}
    models = []
    for index in range(spec.olts):
        vendor = spec.vendors[index % len(spec.vendors)]
        models.append(_model(vendor, turns.get(vendor, 0), spec.pons))
        turns[vendor] = turns.get(vendor, 0) + 1
    return models


FIRMWARE_WORDS = ("mixed", "newest", "oldest")
# Model name → the generations it runs, newest first.
Firmware = Mapping[str, tuple[str, ...]]


def assign_firmware(text: str, models: Sequence[str]) -> list[str]:
    """The firmware generation of every OLT (by position) from a `--firmware` value."""
    text = text.strip()
    firmware = firmware_table()
    if text.lower() in FIRMWARE_WORDS:
        return _by_word(text.lower(), models, firmware)
    if "=" in text:
        chosen = _pairs(text, firmware)
        return [chosen.get(model, firmware[model][0]) for model in models]
    return _one_generation(text, models, firmware)


def _by_word(word: str, models: Sequence[str], firmware: Firmware) -> list[str]:
    if word == "newest":
        return [firmware[model][0] for model in models]
    if word == "oldest":
        return [firmware[model][-1] for model in models]
    turns: dict[str, int] = {}
    found = []
    for model in models:
        generations = firmware[model]
        found.append(generations[turns.get(model, 0) % len(generations)])
        turns[model] = turns.get(model, 0) + 1
    return found


def _pairs(text: str, firmware: Firmware) -> dict[str, str]:
    chosen = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        model_text, sep, generation = (part.strip() for part in item.partition("="))
        model = _model_named(model_text, firmware)
        generation = generation.lower()
        if not sep or model is None:
            raise FleetError(
                f"--firmware {item!r}: give MODEL=GENERATION with a model of {', '.join(firmware)}"
            )
        if generation not in firmware[model]:
            raise FleetError(_not_run_by(model, generation, firmware))
        chosen[model] = generation
    return chosen


def _model_named(text: str, firmware: Firmware) -> str | None:
    return next((name for name in firmware if name.lower() == text.lower()), None)


def _one_generation(text: str, models: Sequence[str], firmware: Firmware) -> list[str]:
    model = _model_named(text, firmware)
    if model is not None:
        raise FleetError(
            f"--firmware {text}: name the generation too, e.g. {model}={firmware[model][0]} "
            f"(its generations are {', '.join(firmware[model])})"
        )
    generation = text.lower()
    known = sorted({name for names in firmware.values() for name in names})
    if generation not in known:
        raise FleetError(
            f"--firmware {text!r}: choose {', '.join(FIRMWARE_WORDS)}, a generation "
            f"({', '.join(known)}) or MODEL=GENERATION pairs"
        )
    if not any(generation in firmware[name] for name in models):
        present = ", ".join(sorted(set(models)))
        raise FleetError(f"--firmware {generation}: no OLT in this lab runs it (models: {present})")
    # Models that never ran this generation keep their default.
    return [generation if generation in firmware[name] else firmware[name][0] for name in models]


def _not_run_by(model: str, generation: str, firmware: Firmware) -> str:
    return (
        f"--firmware: {model} does not run {generation!r}; "
        f"its generations are {', '.join(firmware[model])}"
    )


def build_fleet(spec: FleetSpec) -> list[LabDevice]:
    spec.check()
    models = plan_models(spec)
    firmware = assign_firmware(spec.firmware, models)
    taken: set[str] = set()
    devices = []
    for index, (name, site) in enumerate(_names(spec.olts)):
        model = olt_models()[models[index]]
        olt = LabOlt(
            name,
            model,
            site=site,
            boards=boards_needed(spec.pons, model.ports_per_board),
            firmware=firmware[index],
        )
        plant = PlantSpec(spec.pons, spec.onus, spec.autofind, olt_number=index + 1, site=site)
        populate(olt, plant, random.Random(f"{spec.seed}:{name}"), taken)
        behaviour = Behaviour(
            command_latency=spec.latency_ms / 1000,
            login_latency=spec.login_ms / 1000,
            alarm_rate=ALARM_RATE if spec.alarms else 0.0,
            seed=spec.seed,
        )
        port = spec.base_port + index if spec.base_port else 0
        devices.append(LabDevice(olt, behaviour, port))
    return devices


def interface_name(olt: LabOlt, pon: str) -> str:
    return olt.profile.interface_name(olt, pon)


def platform(vendor: str) -> str:
    """The netmiko platform the inventory gives a vendor's OLTs."""
    return olt_vendor(vendor).platform


def describe(devices: list[LabDevice], spec: FleetSpec) -> dict[str, Any]:
    """The fleet as JSON-ready data: OLTs with PONs and CTOs, and every ONU (configured or not)."""
    olts = []
    onus = []
    for device in devices:
        olt = device.olt
        pons = olt.populated()
        olts.append(
            {
                "name": olt.name,
                "vendor": olt.vendor,
                "model": olt.model.name,
                "firmware": olt.firmware,
                "site": olt.site,
                "city": SITES.get(olt.site, ""),
                "platform": platform(olt.vendor),
                "host": spec.host,
                "mgmt_ip": spec.host,
                "port": device.port,
                **({"telnet_port": device.telnet_port} if device.telnet_port else {}),
                "pon_ports": len(pons),
                "pons": [
                    {
                        "port": pon.name,
                        "interface": interface_name(olt, pon.name),
                        "vlan": pon.vlan,
                        "launch_dbm": pon.launch_dbm,
                        "feeder_km": pon.feeder_km,
                        "primary_splitter": pon.primary_splitter,
                        "ctos": [
                            {
                                "code": cto.code,
                                "splitter": cto.splitter,
                                "distance_km": cto.distance_km,
                            }
                            for cto in pon.ctos
                        ],
                    }
                    for pon in pons
                ],
            }
        )
        with olt.lock:
            for pon in pons:
                for dev in pon.devices:
                    ont = next(
                        (
                            o
                            for o in pon.onts.values()
                            if o.serial == dev.serial or o.mac == dev.mac
                        ),
                        None,
                    )
                    rx = None
                    if dev.condition != "offline":
                        rx = read(pon.launch_dbm, dev.path, dev.unit).onu_rx_dbm
                    condition = signal_class(rx) if dev.condition == "ok" else dev.condition
                    onus.append(
                        {
                            "olt": olt.name,
                            "vendor": olt.vendor,
                            "port": pon.name,
                            "serial": dev.serial,
                            "serial_hex": dev.serial_hex,
                            "mac": dev.mac,
                            "model": dev.model.equipment_id,
                            "onu_type": dev.model.onu_type,
                            "onu_id": ont.onu_id if ont else None,
                            "state": "authorized" if ont else "autofind",
                            "autofind": ont is None,
                            "cto": dev.cto,
                            "cto_port": dev.cto_port,
                            "vlan": pon.vlan,
                            "description": ont.description if ont else "",
                            "condition": condition,
                            "expected_rx_dbm": rx,
                            "distance_m": dev.path.distance_m,
                        }
                    )
    return {
        "version": 1,
        "seed": spec.seed,
        "host": spec.host,
        "username": spec.username,
        "olts": olts,
        "onus": onus,
    }
