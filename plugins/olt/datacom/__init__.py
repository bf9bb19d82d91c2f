"""Datacom DM46xx GPON OLTs (DM4610, DM4612) running DmOS: driver, parsers, session and what
registers them."""

from ispflow.plugins.vendors import OltVendor

VENDOR = OltVendor(
    name="datacom",
    title="Datacom DmOS",
    platforms=("datacom_dmos",),
    netbox_slugs=("datacom", "datacom-dmos", "datacom_dmos", "dmos"),
    driver="ispflow.plugins.olt.datacom.driver:DatacomDriver",
    parsers="ispflow.plugins.olt.datacom.parsers:DatacomParsers",
    templates="datacom",
    sessions=(("datacom_dmos", "ispflow.plugins.olt.datacom.session:DmosSession"),),
    # No captured DmOS session shows an alarm or log line printed into a command's answer.
    alarm_lines=(),
    pager=(r"--More--",),
    lab_profile="ispflow.lab.datacom",
)
