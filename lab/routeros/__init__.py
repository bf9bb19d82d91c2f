"""Simulated MikroTik PPPoE concentrators speaking the RouterOS API (TCP 8728-style, TLS option).

`PROFILE` is the lab profile the vendor's registered object names: what the generic lab code
(the server process, its state files, the store seeding) needs of these concentrators.
"""

from ispflow.lab.profiles import ConcentratorProfile
from ispflow.lab.routeros.plant import (
    BLOCK_LIST,
    BLOCK_POOL,
    BLOCK_PROFILE,
    build_concentrators,
    concentrator_of,
    describe_concentrators,
    subscriber,
)
from ispflow.lab.routeros.server import ApiServer
from ispflow.lab.routeros.tls import certificate_file, tls_context

PROFILE = ConcentratorProfile(
    build=build_concentrators,
    describe=describe_concentrators,
    server=ApiServer,
    tls_context=tls_context,
    certificate=certificate_file,
    connection="routeros_api",
    # What a block means on these concentrators (see docs/ppp.md): the profile, pool and
    # address list their walled-garden rules are keyed on.
    group_data={"block_profile": BLOCK_PROFILE, "block_pool": BLOCK_POOL, "block_list": BLOCK_LIST},
    concentrator_of=concentrator_of,
    subscriber=subscriber,
)
