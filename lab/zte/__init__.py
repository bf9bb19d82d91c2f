"""The lab profile of ZTE ZXA10 OLTs: the CLI session, the chassis, their ONUs.

Software generations differ in output layout (render.FIRMWARE): V2.x prints a shorter
`show gpon onu state` with a channel column and `%Code 62310` for empty answers; the C600
(TITAN) has its own state table.
"""

from ispflow.lab.catalog import OltModel, OnuModel
from ispflow.lab.profiles import Numbering, OltProfile
from ispflow.lab.zte.cli import ZteCli
from ispflow.lab.zte.provision import interface_name, provision

VENDOR = "zte"
MODELS = (
    OltModel(VENDOR, "C320", "GTGH", 16, 1, 2, "V2.1.0", "P3", ("v2", "v1")),
    OltModel(VENDOR, "C300", "GTGH", 16, 2, 14, "V2.1.0", "P3", ("v2", "v1")),
    OltModel(VENDOR, "C600", "GFCH", 16, 1, 17, "V1.2.1", "P2", ("titan",)),
)
ONU_MODELS = (
    OnuModel("ZTEG", "ZTE", "F670L", "V1.1", "V1.1.20P1N4", "ZTE-F670L", ("34:4B:50", "F4:B8:A7")),
    OnuModel("ZTEG", "ZTE", "F601", "V6.0", "V6.0.10P6N7", "ZTE-F601", ("00:19:C6",)),
    OnuModel("ZTEG", "ZTE", "F660", "V5.2", "V5.2.10P3T2", "ZTE-F660", ("B0:75:D5",)),
    OnuModel("ZTEG", "ZTE", "F6600P", "V9.0", "V9.0.11P2N1", "ZTE-F6600P", ("D4:76:EA",)),
)

PROFILE = OltProfile(
    shell=ZteCli,
    models=MODELS,
    default_models=("C320", "C600", "C300"),
    # ZXROS numbers rack 1, ports from 1 on a card, ONUs 1-128 per port, and numbers service
    # ports inside each ONU, from 1.
    numbering=Numbering(
        frame=1, first_port=1, onu_ids=range(1, 129), service_port_scope="onu", first_service_port=1
    ),
    onu_vendor_id="ZTEG",
    onu_models=ONU_MODELS,
    interface_name=interface_name,
    provision=provision,
)
