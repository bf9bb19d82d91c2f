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
    # No captured DmOS session shows an alarm or log line printed into a command's answer;
    # these are the system messages of the CLI framework DmOS is built on (a header line,
    # then the message), the form the lab prints (lab/datacom/alarms.py). Not confirmed on
    # a device.
    alarm_lines=(
        r"System\s+message\s+at\s+\d{4}-\d\d-\d\d\s+\d\d:\d\d:\d\d\.{3}",  # header
        r"Alarm\s+(?:CRITICAL|MAJOR|MINOR|WARNING|INFO)\s+(?:raised|cleared):.*",  # alarm
        r"Commit\s+performed\s+by\s+\S+\s+via\s+\S+\s+using\s+\S+\.",  # another session's
    ),
    pager=(r"--More--",),
    pager_words=("more",),
    lab_profile="ispflow.lab.datacom",
)
