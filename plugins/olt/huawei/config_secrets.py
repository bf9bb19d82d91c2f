"""Where a SmartAX (MA5600T/MA5800) configuration carries secrets the general rule misses.

The general rule (a secret after `password`, `key`, `community`... and their qualifiers)
covers `local-user … password irreversible-cipher`, `snmp-agent community read cipher` and
`hwtacacs-server shared-key cipher`. These are the forms whose keyword is fused with other
words, or whose secret follows an algorithm name:

    terminal user name buildrun_new_password|history_password USER CIPHER …
    radius-server shared-key-cipher CIPHER
    ntp-service authentication-keyid 1 authentication-mode md5 cipher CIPHER
    snmp-agent usm-user v3 USER [GROUP] [cipher] authentication-mode sha [cipher] AUTH
        privacy-mode aes128 [cipher] PRIV
    snmp-agent target-host … params securityname [cipher] COMMUNITY v2c

Ciphers are one token each (`%^%#…%^%#`, `%@%@…%@%@`, `$1c$…$`, `*…$*`) and may hold any
printable character but a blank, quotes included.
"""

from __future__ import annotations

import re

_SECRET = r"(?P<secret>\"[^\"]*\"|\S+)"
# Algorithms an `authentication-mode`/`privacy-mode` names before its key. Not `aaa`,
# `password`, `radius`, `hwtacacs`, `local` or `keychain NAME`: those say how, not with what.
_ALGORITHM = r"(?:md5|sha[\w-]*|hmac-[\w-]+|simple|des[\w-]*|3des|aes[\w-]*)"

SECRET_PATTERNS = (
    # The device writes a flag of its own before the user name, then the user's cipher.
    re.compile(r"(?<![\w-])terminal\s+user\s+name\s+\w*password\s+\S+\s+" + _SECRET),
    re.compile(r"(?<![\w-])shared-key-cipher\s+" + _SECRET),
    # `authentication-mode md5 1 cipher …` (a key id before the qualifier: OSPF areas) and
    # `authentication-mode sha 12345678 privacy-mode …` (a plain key that is all digits).
    re.compile(
        r"(?<![\w-])(?:authentication|privacy)-mode\s+"
        + _ALGORITHM
        + r"(?:\s+\d+(?=\s+(?:cipher|plain)\s))?(?:\s+(?:cipher|plain))?\s+"
        + _SECRET,
        re.IGNORECASE,
    ),  # fmt: skip
    # For SNMPv1/v2c targets the security name is the community; for v3 it is a user name.
    re.compile(r"(?<![\w-])securityname\s+cipher\s+" + _SECRET),
    re.compile(r"(?<![\w-])securityname\s+(?!cipher\s)" + _SECRET + r"(?=.*\sv(?:1|2c)\b)"),
)

# `snmp-agent community complexity-check disable`, `snmp-agent usm-user password
# complexity-check disable`: a setting where the general rule expects a secret.
SETTING_WORDS = frozenset({"complexity-check"})
