"""The lab profile of FiberHome AN5516 OLTs: the CLI session, the chassis, their ONUs.

Software generations differ in words and layout (render.FIRMWARE), named after the word each
addresses a PON with: `pon` (newer: `cd onu`, `slot S pon P`, wider tables, `Command executes
success.`) and `link` (older, as the AN5516-06B of 2020: `cd gpononu`, `slot S link L`).
"""

from ispflow.lab.catalog import OltModel, OnuModel
from ispflow.lab.fiberhome.cli import FiberhomeCli
from ispflow.lab.fiberhome.provision import interface_name, provision
from ispflow.lab.profiles import Numbering, OltProfile

VENDOR = "fiberhome"
MODELS = (
    OltModel(VENDOR, "AN5516-06", "GC8B", 8, 1, 8, "RP0800", "", ("pon", "link")),
    OltModel(VENDOR, "AN5516-06B", "GC8B", 8, 11, 8, "RP0700", "", ("link", "pon")),
    OltModel(VENDOR, "AN5516-04", "GC8B", 8, 1, 4, "RP0800", "", ("pon", "link")),
)
ONU_MODELS = (
    OnuModel("FHTT", "FIBERHOME", "AN5506-04-F1", "WKE2.134.285F1A", "RP2522", "5506-04-F1", ("E0:67:B3",)),
    OnuModel("FHTT", "FIBERHOME", "HG6145E", "WKE2.134.321E1A", "RP2742", "HG6145E", ("C0:B1:01",)),
    OnuModel("FHTT", "FIBERHOME", "AN5506-01-A1", "WKE2.094.277A01", "RP2618", "5506-01-A1", ("A8:BF:3C",)),
)  # fmt: skip

PROFILE = OltProfile(
    shell=FiberhomeCli,
    models=MODELS,
    default_models=("AN5516-06", "AN5516-06B", "AN5516-04"),
    # One frame; PONs from 1 on a card, ONUs 1-128 per PON, VLAN services numbered per ONU.
    numbering=Numbering(
        frame=1, first_port=1, onu_ids=range(1, 129), service_port_scope="onu", first_service_port=1
    ),
    onu_vendor_id="FHTT",
    onu_models=ONU_MODELS,
    interface_name=interface_name,
    provision=provision,
    # Simulated in fleets that name it (`--vendors huawei,zte,fiberhome`): the default fleet
    # and its seeds stay as the tests and examples know them.
    in_default_fleet=False,
    # Most AN5516 are reached by telnet: `Login:`, then `Password:` (what the telnet scripts
    # in our material answer), then the same CLI as over SSH.
    telnet_login="Login: ",
)
