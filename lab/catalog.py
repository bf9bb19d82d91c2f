"""What the lab's OLTs and ONUs are: chassis models, line cards, ONU vendors and models.

Brazilian regional ISPs mix vendors on one PON (the ONU comes from whoever sold it cheapest
that year), so each OLT gets mostly its own vendor's ONUs plus a few foreign ones.
"""

from __future__ import annotations

from dataclasses import dataclass


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


OLT_MODELS: dict[str, OltModel] = {
    model.name: model
    for model in (
        OltModel("huawei", "MA5800-X7", "H901GPHF", 16, 1, 7, "MA5800V100R019C10", "SPH212"),
        OltModel("huawei", "MA5800-X2", "H901GPSF", 16, 1, 2, "MA5800V100R019C10", "SPH212"),
        OltModel("huawei", "MA5608T", "H807GPBH", 8, 1, 2, "MA5600V800R018C10", "SPH207"),
        OltModel("huawei", "MA5683T", "H805GPFD", 16, 1, 6, "MA5600V800R018C10", "SPH207"),
        OltModel("huawei", "MA5600T", "H805GPFD", 16, 1, 16, "MA5600V800R015C10", "SPC200"),
        OltModel("zte", "C320", "GTGH", 16, 1, 2, "V2.1.0", "P3"),
        OltModel("zte", "C300", "GTGH", 16, 2, 14, "V2.1.0", "P3"),
        OltModel("zte", "C600", "GFCH", 16, 1, 17, "V1.2.1", "P2"),
    )
}

DEFAULT_MODELS = {"huawei": ("MA5800-X7", "MA5608T", "MA5683T"), "zte": ("C320", "C600", "C300")}

# The software generations each chassis runs in the field, newest first; the first is what a
# lab OLT of that model runs unless told otherwise. Generations differ in output layout (see
# the vendor's render module): Huawei R019 leaves dark ONTs out of bulk optics and words an
# empty autofind differently from R018; ZTE V2.x prints a shorter `show gpon onu state` with
# a channel column and `%Code 62310` for empty answers; C600 (TITAN) has its own state table.
FIRMWARE: dict[str, tuple[str, ...]] = {
    "MA5800-X7": ("r019", "r018"),
    "MA5800-X2": ("r019", "r018"),
    "MA5608T": ("r018",),
    "MA5683T": ("r018",),
    "MA5600T": ("r018",),
    "C320": ("v2", "v1"),
    "C300": ("v2", "v1"),
    "C600": ("titan",),
}


def firmware_generations(model: str) -> tuple[str, ...]:
    """The generations an OLT model runs, newest (and default) first."""
    return FIRMWARE[model]


@dataclass(frozen=True)
class OnuModel:
    vendor_id: str  # the 4 letters at the start of a GPON serial
    vendor_name: str  # as the ONU reports it in optical-info
    equipment_id: str
    hardware: str
    software: str
    zte_type: str  # the onu-type profile a ZTE OLT would use for it
    ouis: tuple[str, ...]


ONU_MODELS: tuple[OnuModel, ...] = (
    OnuModel(
        "HWTC",
        "HUAWEI",
        "EG8145V5",
        "159D.A",
        "V5R019C10S385",
        "HG8145V5",
        ("E0:24:7F", "48:F8:B3"),
    ),
    OnuModel(
        "HWTC",
        "HUAWEI",
        "EG8145X6",
        "1A7F.A",
        "V5R021C00S235",
        "EG8145X6",
        ("A4:97:33", "54:25:EA"),
    ),
    OnuModel(
        "HWTC", "HUAWEI", "HG8245H", "4A3.B", "V3R017C10S125", "HG8245H", ("00:E0:FC", "28:6E:D4")
    ),
    OnuModel("HWTC", "HUAWEI", "EG8010Hv6", "260F.A", "V5R020C10S035", "EG8010H", ("AC:E2:15",)),
    OnuModel("HWTC", "HUAWEI", "HG8310M", "3FC.A", "V3R017C10S100", "HG8310M", ("70:7B:E8",)),
    OnuModel("ZTEG", "ZTE", "F670L", "V1.1", "V1.1.20P1N4", "ZTE-F670L", ("34:4B:50", "F4:B8:A7")),
    OnuModel("ZTEG", "ZTE", "F601", "V6.0", "V6.0.10P6N7", "ZTE-F601", ("00:19:C6",)),
    OnuModel("ZTEG", "ZTE", "F660", "V5.2", "V5.2.10P3T2", "ZTE-F660", ("B0:75:D5",)),
    OnuModel("ZTEG", "ZTE", "F6600P", "V9.0", "V9.0.11P2N1", "ZTE-F6600P", ("D4:76:EA",)),
    OnuModel(
        "FHTT",
        "FIBERHOME",
        "AN5506-01-A",
        "WKE2.094.277A01",
        "RP2618",
        "AN5506-01-A",
        ("E0:67:B3",),
    ),
    OnuModel("ITBS", "INTELBRAS", "110Gi", "V1.0", "V1.2.6", "110G", ("24:FD:0D",)),
    OnuModel("PRKS", "PARKS", "Fiberlink 101", "V2.0", "V1.0.8", "PRKS-101", ("E4:BE:ED",)),
    OnuModel("TPLG", "TP-LINK", "XZ000-G3", "V1.0", "1.1.0", "XZ000-G3", ("98:DA:C4",)),
)

NATIVE_VENDOR_ID = {"huawei": "HWTC", "zte": "ZTEG"}
FOREIGN_VENDOR_IDS = ("FHTT", "ITBS", "PRKS", "TPLG")


def onu_models(vendor_id: str) -> tuple[OnuModel, ...]:
    return tuple(model for model in ONU_MODELS if model.vendor_id == vendor_id)


def onu_model(equipment_id: str) -> OnuModel | None:
    for model in ONU_MODELS:
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
