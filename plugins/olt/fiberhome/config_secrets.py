"""Where an AN5516 configuration carries secrets the general rule misses.

The general rule (a secret after `password`, `key`, `community`...) covers the whitelist's
`password PWD` and the users' `password PWD`. These hold a secret by position only:

    set wancfg slot S P N index I mode … dsp pppoe proxy enable|disable USER PASSWORD NAME …
    set wifi_serv_cfg … wpa_share_key KEY …   (the key after its own keyword, any case)
"""

from __future__ import annotations

import re

_SECRET = r"(?P<secret>\"[^\"]*\"|\S+)"

SECRET_PATTERNS = (
    # The PPPoE account's password comes right after its user name.
    re.compile(r"^\s*set\s+wancfg\s.*?\bdsp\s+pppoe\s+proxy\s+\S+\s+\S+\s+" + _SECRET, re.I),
    re.compile(r"\b(?:wpa_share_key|wep_key\d?|share_key)\s+" + _SECRET, re.IGNORECASE),
)
