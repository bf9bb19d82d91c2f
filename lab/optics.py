"""The optical power budget of a PON path, and what an ONU reports from it.

Levels follow from the path, not from a table of made-up numbers, so a reading that looks
wrong in the lab has a cause (a long feeder, a 1:16 CTO splitter, a dirty connector).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

# Attenuation of G.652 fibre; the same figure is used both ways to keep the model simple.
FIBRE_DB_PER_KM = 0.35
# Insertion loss of a planar splitter, by its number of outputs.
SPLITTER_DB = {2: 3.6, 4: 7.2, 8: 10.5, 16: 13.8, 32: 17.1}
CONNECTOR_DB = 0.3
# Upstream runs at 1310 nm; that part of the path loses a little more than 1490 nm downstream.
UPSTREAM_EXTRA_DB = 0.4


@dataclass(frozen=True)
class Path:
    """Everything between the OLT port and the ONU."""

    fibre_km: float
    splitters: tuple[int, ...]
    connectors: int
    extra_db: float = 0.0  # dirt, a tight bend, a bad splice

    def loss_db(self) -> float:
        return (
            self.fibre_km * FIBRE_DB_PER_KM
            + sum(SPLITTER_DB[ratio] for ratio in self.splitters)
            + self.connectors * CONNECTOR_DB
            + self.extra_db
        )

    @property
    def distance_m(self) -> int:
        return round(self.fibre_km * 1000)


@dataclass(frozen=True)
class Reading:
    """One optical read-out, in the units the OLTs print."""

    onu_rx_dbm: float  # downstream, at the ONU
    onu_tx_dbm: float
    olt_rx_dbm: float  # upstream, at the OLT
    olt_tx_dbm: float  # the OLT port's launch power
    temperature_c: int
    voltage_v: float
    bias_ma: int
    distance_m: int

    @property
    def down_attenuation_db(self) -> float:
        return self.olt_tx_dbm - self.onu_rx_dbm

    @property
    def up_attenuation_db(self) -> float:
        return self.onu_tx_dbm - self.olt_rx_dbm


@dataclass(frozen=True)
class Transceiver:
    """The ONU's own optics and housekeeping values (fixed per unit)."""

    tx_dbm: float
    noise_db: float  # unit-to-unit spread of receiver calibration
    temperature_c: int
    voltage_v: float
    bias_ma: int


@functools.cache  # a pure function of frozen values, asked for on every optical read
def read(launch_dbm: float, path: Path, unit: Transceiver) -> Reading:
    loss = path.loss_db()
    return Reading(
        onu_rx_dbm=round(launch_dbm - loss + unit.noise_db, 3),
        onu_tx_dbm=round(unit.tx_dbm, 3),
        olt_rx_dbm=round(unit.tx_dbm - loss - UPSTREAM_EXTRA_DB - unit.noise_db / 2, 3),
        olt_tx_dbm=round(launch_dbm, 3),
        temperature_c=unit.temperature_c,
        voltage_v=unit.voltage_v,
        bias_ma=unit.bias_ma,
        distance_m=path.distance_m,
    )


def signal_class(rx_dbm: float | None) -> str:
    """Common ISP practice: good ≥ −25, warning −25…−27, critical below −27 or above −8."""
    if rx_dbm is None:
        return "offline"
    if rx_dbm > -8 or rx_dbm < -27:
        return "critical"
    if rx_dbm < -25:
        return "warning"
    return "good"
