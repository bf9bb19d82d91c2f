"""Where a ZXA10 (C300/C320/C600) configuration carries secrets the general rule misses.

The general rule (a secret after `password`, `secret`, `key`, `community`... and their
qualifiers) covers `username … password [encrypted]`, `enable secret [level N] [5]`,
`tacacs-server [host …] key`, `radius-server [host …] key` and `snmp-server community NAME
[encrypted] view … ro|rw`. These are the forms whose secret follows an algorithm name, or a
community that stands without its keyword:

    snmp-server user USER GROUP [v3] [encrypted] auth md5|sha AUTH priv des|aes [128] PRIV
    snmp-server host ADDRESS [trap|inform] version 1|2c COMMUNITY …
"""

from __future__ import annotations

import re

_SECRET = r"(?P<secret>\"[^\"]*\"|\S+)"
_USER = r"^\s*snmp-server\s+user\s.*?\s"

SECRET_PATTERNS = (
    re.compile(_USER + r"auth\s+(?:md5|sha[\w-]*)\s+" + _SECRET, re.IGNORECASE),
    # `priv aes 128 KEY`: a key size before the key when another word follows it.
    re.compile(
        _USER + r"priv\s+(?:des[\w-]*|3des|aes[\w-]*)(?:\s+(?:128|192|256)(?=\s+\S))?\s+" + _SECRET,
        re.IGNORECASE,
    ),
    re.compile(
        r"^\s*snmp-server\s+host\s.*?\sversion\s+(?:1|2c)\s+(?:encrypted\s+)?" + _SECRET,
        re.IGNORECASE,
    ),
)
