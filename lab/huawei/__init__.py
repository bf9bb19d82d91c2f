"""The lab profile of Huawei SmartAX OLTs: the CLI session, the chassis, their ONTs.

Software generations differ in output layout (render.FIRMWARE): R019 leaves dark ONTs out of
bulk optics and words an empty autofind differently from R018.
"""

from ispflow.lab.catalog import OltModel, OnuModel
from ispflow.lab.huawei.cli import HuaweiCli
from ispflow.lab.huawei.provision import equipment_sn, interface_name, provision
from ispflow.lab.profiles import Numbering, OltProfile

VENDOR = "huawei"
MODELS = (
    OltModel(VENDOR, "MA5800-X7", "H901GPHF", 16, 1, 7, "MA5800V100R019C10", "SPH212", ("r019", "r018")),
    OltModel(VENDOR, "MA5800-X2", "H901GPSF", 16, 1, 2, "MA5800V100R019C10", "SPH212", ("r019", "r018")),
    OltModel(VENDOR, "MA5608T", "H807GPBH", 8, 1, 2, "MA5600V800R018C10", "SPH207", ("r018",)),
    OltModel(VENDOR, "MA5683T", "H805GPFD", 16, 1, 6, "MA5600V800R018C10", "SPH207", ("r018",)),
    OltModel(VENDOR, "MA5600T", "H805GPFD", 16, 1, 16, "MA5600V800R015C10", "SPC200", ("r018",)),
)  # fmt: skip
ONU_MODELS = (
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
)

PROFILE = OltProfile(
    shell=HuaweiCli,
    models=MODELS,
    default_models=("MA5800-X7", "MA5608T", "MA5683T"),
    # SmartAX numbers frame 0, ports from 0 on a board, ONTs 0-127 per port, and keeps one
    # service-port table for the whole OLT, indexes from 0.
    numbering=Numbering(
        frame=0, first_port=0, onu_ids=range(0, 128), service_port_scope="olt", first_service_port=0
    ),
    onu_vendor_id="HWTC",
    onu_models=ONU_MODELS,
    interface_name=interface_name,
    provision=provision,
    equipment_sn=equipment_sn,
)
