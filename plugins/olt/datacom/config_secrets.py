"""Where a DmOS configuration carries secrets the general rule misses.

The general rule (a secret after `password`, `key`, `community`... and their qualifiers)
covers `aaa user NAME password HASH`, an ONU's `password` (its PLOAM password), `snmp
community NAME` and `tacacs server … key`. DmOS's SNMPv3 users and RADIUS servers name their
secrets with fused words the general rule leaves alone on purpose (`strong-password` is a
setting elsewhere):

    snmp user NAME authentication-protocol sha authentication-password AUTH
        privacy-protocol aes privacy-password PRIV
    radius server HOST secret-key KEY

These forms come from DmOS's YANG-style naming (the words of its configuration are the
leaves' names); no captured DmOS configuration in our hands has them.
"""

from __future__ import annotations

import re

_SECRET = r"(?P<secret>\"[^\"]*\"|\S+)"

SECRET_PATTERNS = (
    re.compile(
        r"(?<![\w-])(?:authentication|privacy|auth|priv)-(?:password|key)\s+" + _SECRET,
        re.IGNORECASE,
    ),
    re.compile(r"(?<![\w-])secret-key\s+" + _SECRET, re.IGNORECASE),
)
