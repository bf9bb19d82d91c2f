"""ZTE ZXA10 (C300/C320/C600): driver, parsers, session and what registers them."""

from ispflow.plugins.vendors import OltVendor

VENDOR = OltVendor(
    name="zte",
    title="ZTE ZXA10",
    platforms=("zte_zxros",),
    netbox_slugs=("zte", "zte-zxros", "zte_zxros", "zte-zxa10"),
    driver="ispflow.plugins.olt.zte.driver:ZteDriver",
    parsers="ispflow.plugins.olt.zte.parsers:ZteParsers",
    templates="zte",
    sessions=(("zte_zxros", "ispflow.plugins.olt.zte.session:ZxrosSession"),),
    alarm_lines=(
        r"%[A-Z][A-Z0-9_]*-\d-[A-Z0-9_]+:.*",  # log line
        r"\[ALARM\].*",  # alarm line
    ),
    pager=(r"(?<!-)-{2,}+\s*More\s*--", r"<--- More --->"),
    pager_words=("more",),
    lab_profile="ispflow.lab.zte",
)
