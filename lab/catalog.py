"""What the lab's OLTs and ONUs are: chassis models, line cards, ONU vendors and models.

Brazilian regional ISPs mix vendors on one PON (the ONU comes from whoever sold it cheapest
that year), so each OLT gets mostly its own vendor's ONUs plus a few foreign ones. The
chassis and each OLT vendor's own ONUs come from the vendors' lab profiles; the ONUs of
vendors that make no OLT in the lab are here.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from dataclasses import dataclass

from ispflow.lab.profiles import olt_profiles


@dataclass(frozen=True)
class OltModel:
    vendor: str
    name: str
    board: str  # GPON line card name as `display board` / `show card` prints it
    ports_per_board: int
    first_slot: int
    max_boards: int
    software: str
    patch: str
    # The software generations the chassis runs in the field, newest first; the first is
    # what a lab OLT of that model runs unless told otherwise. Generations differ in output
    # layout (see the vendor's render module).
    generations: tuple[str, ...] = ()


def olt_models() -> dict[str, OltModel]:
    """Every chassis the lab can build, by model name, from the vendors' lab profiles."""
    return {model.name: model for profile in olt_profiles().values() for model in profile.models}


def firmware_table() -> dict[str, tuple[str, ...]]:
    """The generations each chassis runs, by model name."""
    return {name: model.generations for name, model in olt_models().items()}


def firmware_generations(model: str) -> tuple[str, ...]:
    """The generations an OLT model runs, newest (and default) first."""
    return olt_models()[model].generations


@dataclass(frozen=True)
class OnuModel:
    vendor_id: str  # the 4 letters at the start of a GPON serial
    vendor_name: str  # as the ONU reports it in optical-info
    equipment_id: str
    hardware: str
    software: str
    onu_type: str  # the onu-type profile an OLT that registers ONUs by type would use for it
    ouis: tuple[str, ...]


FOREIGN_ONU_MODELS: tuple[OnuModel, ...] = (
    OnuModel("ITBS", "INTELBRAS", "110Gi", "V1.0", "V1.2.6", "110G", ("24:FD:0D",)),
    OnuModel("PRKS", "PARKS", "Fiberlink 101", "V2.0", "V1.0.8", "PRKS-101", ("E4:BE:ED",)),
    OnuModel("TPLG", "TP-LINK", "XZ000-G3", "V1.0", "1.1.0", "XZ000-G3", ("98:DA:C4",)),
)
FOREIGN_VENDOR_IDS = tuple(dict.fromkeys(model.vendor_id for model in FOREIGN_ONU_MODELS))


@functools.cache
def all_onu_models() -> tuple[OnuModel, ...]:
    """The OLT vendors' own ONUs, then the foreign ones."""
    own = tuple(model for profile in olt_profiles().values() for model in profile.onu_models)
    return own + FOREIGN_ONU_MODELS


@functools.cache
def native_vendor_ids() -> dict[str, str]:
    """Each OLT vendor's own ONU vendor id, by OLT vendor."""
    return {name: profile.onu_vendor_id for name, profile in olt_profiles().items()}


@functools.cache
def equipment_sn_makers() -> dict[str, Callable[[random.Random], str]]:
    """ONU vendor id → how that vendor writes an equipment serial, where it has a form of its own."""
    return {
        profile.onu_vendor_id: profile.equipment_sn
        for profile in olt_profiles().values()
        if profile.equipment_sn is not None
    }


def onu_models(vendor_id: str) -> tuple[OnuModel, ...]:
    return tuple(model for model in all_onu_models() if model.vendor_id == vendor_id)


def onu_model(equipment_id: str) -> OnuModel | None:
    for model in all_onu_models():
        if model.equipment_id == equipment_id:
            return model
    return None


SITES: dict[str, str] = {
    "poa": "Porto Alegre",
    "cwb": "Curitiba",
    "flo": "Florianópolis",
    "cxs": "Caxias do Sul",
    "pel": "Pelotas",
    "lon": "Londrina",
}
