"""FiberHome AN5516 (CLI over SSH or telnet): driver, parsers, sessions and what registers
them.

TL1 (through the UNM2000/ANM2000 gateway) is another protocol and is not driven here.
"""

from ispflow.plugins.vendors import OltVendor

VENDOR = OltVendor(
    name="fiberhome",
    title="FiberHome AN5516",
    platforms=("fiberhome_an5516",),
    netbox_slugs=("fiberhome", "fiberhome-an5516", "fiberhome_an5516"),
    driver="ispflow.plugins.olt.fiberhome.driver:FiberhomeDriver",
    parsers="ispflow.plugins.olt.fiberhome.parsers:FiberhomeParsers",
    templates="fiberhome",
    sessions=(
        ("fiberhome_an5516", "ispflow.plugins.olt.fiberhome.session:An5516Session"),
        # `transport: telnet` in the host's olt_cli extras: how most AN5516 are reached.
        ("fiberhome_an5516_telnet", "ispflow.plugins.olt.fiberhome.session:An5516TelnetSession"),
    ),
    # The pager stop is known from a tool's source only (` --Press any key to continue Ctrl+c
    # to stop--`, erased with backspaces); the session turns paging off at login.
    pager=(r"-{2}\s*Press any key to continue(?:\s+Ctrl\+c to stop)?\s*-{2}",),
    pager_words=("press any key",),
    lab_profile="ispflow.lab.fiberhome",
)
