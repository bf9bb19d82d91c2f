"""MikroTik RouterOS PPPoE concentrators: driver (API operations), the `routeros_api` connection
and what registers them."""

from ispflow.plugins.vendors import ConcentratorVendor

VENDOR = ConcentratorVendor(
    name="mikrotik",
    title="MikroTik RouterOS",
    platforms=("mikrotik_routeros",),
    netbox_slugs=("mikrotik", "mikrotik-routeros", "mikrotik_routeros", "routeros"),
    driver="ispflow.plugins.concentrator.mikrotik.driver:MikrotikDriver",
    connection_plugin="ispflow.plugins.concentrator.mikrotik.connection:RouterOsApi",
    lab_profile="ispflow.lab.routeros",
)
