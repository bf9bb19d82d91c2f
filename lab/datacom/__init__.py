"""The lab profile of Datacom DM46xx OLTs running DmOS: the CLI session, the chassis, their
ONUs.

DmOS OLTs are one-board boxes (chassis 1, slot 1) numbering PONs from 1 and ONUs from 0, with
one service-port table for the whole OLT. They are in a fleet when `--vendors` names them.
"""

from ispflow.lab.catalog import OltModel, OnuModel
from ispflow.lab.datacom.cli import DmosCli
from ispflow.lab.datacom.provision import interface_name, provision
from ispflow.lab.profiles import Numbering, OltProfile

VENDOR = "datacom"
MODELS = (
    OltModel(VENDOR, "DM4610", "8GPON", 8, 1, 1, "9.4.0-327", "", ("v9",)),
    OltModel(VENDOR, "DM4612", "16GPON", 16, 1, 1, "9.4.0-327", "", ("v9",)),
)
ONU_MODELS = (
    OnuModel("DACM", "DATACOM", "DM986-204", "825.8018.00", "V2.2.0", "DM986-204", ("00:04:DF",)),
    OnuModel("DACM", "DATACOM", "DM984-100B", "V1.0", "v1.3.2", "DM984-100B", ("00:04:DF",)),
)

PROFILE = OltProfile(
    shell=DmosCli,
    models=MODELS,
    default_models=("DM4610", "DM4612"),
    numbering=Numbering(
        frame=1, first_port=1, onu_ids=range(0, 128), service_port_scope="olt", first_service_port=1
    ),
    onu_vendor_id="DACM",
    onu_models=ONU_MODELS,
    interface_name=interface_name,
    provision=provision,
    in_default_fleet=False,
)
