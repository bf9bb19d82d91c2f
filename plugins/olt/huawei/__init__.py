"""Huawei SmartAX (MA5600T/MA5608T/MA5800): driver, parsers, session and what registers them."""

from ispflow.plugins.vendors import OltVendor

VENDOR = OltVendor(
    name="huawei",
    title="Huawei SmartAX",
    platforms=("huawei_smartax", "huawei_olt"),
    netbox_slugs=("huawei", "huawei-smartax", "huawei_smartax"),
    driver="ispflow.plugins.olt.huawei.driver:HuaweiDriver",
    parsers="ispflow.plugins.olt.huawei.parsers:HuaweiParsers",
    templates="huawei",
    sessions=(
        ("huawei_smartax", "ispflow.plugins.olt.huawei.session:SmartAxSession"),
        ("huawei_olt", "ispflow.plugins.olt.huawei.session:SmartAxSession"),
    ),
    alarm_lines=(
        r"!\s*(?:CRITICAL|MAJOR|MINOR|WARNING|CLEARED|EVENT)\b.*",  # alarm header
        r"ALARM\s+\d+\s+(?:FAULT|RECOVERY|EVENT)\b.*",  # alarm line
        r"ALARM\s+NAME\s*:.* | PARAMETERS\s*:.*",  # alarm detail
    ),
    pager=(r"(?<!-)-++\s*More\s*\(\s*Press 'Q' to (?:quit|break)\s*\)\s*-+",),
    pager_words=("more",),
    lab_profile="ispflow.lab.huawei",
)
