"""Secrets masked out of OLT configurations, per vendor, on excerpts in the devices' syntax.

Every secret of an excerpt is gone from the masked text, and every other word of its line
(keywords, user and group names, algorithms, addresses) is still there, in place: a diff of
two masked backups shows which setting changed, never what to."""

from __future__ import annotations

import pytest

from ispflow.plugins.olt.driver import MASK
from ispflow.plugins.olt.huawei.driver import HuaweiDriver
from ispflow.plugins.olt.zte.driver import ZteDriver

# -- Huawei MA5600T / MA5800 -------------------------------------------------------------
# (line, its secrets). Ciphers as the boxes write them: one token, any printable character
# but a blank, quotes included.
HUAWEI: list[tuple[str, tuple[str, ...]]] = [
    (
        " terminal user name buildrun_new_password root *j$3b$Fq\"p'Lr~9Zx$* 7 "
        "0000:00:00:00:00:00 2026:03:01:10:00:00 root 1 first-login-info 0 "
        'self-changed-password 1 "-----"',
        ("*j$3b$Fq\"p'Lr~9Zx$*",),
    ),
    (" terminal user name history_password noc *~uc$1b$Hs<7w>Qd$*", ("*~uc$1b$Hs<7w>Qd$*",)),
    ("  local-user noc password irreversible-cipher $1c$Vb8,Kq$Mm2:Xr$", ("$1c$Vb8,Kq$Mm2:Xr$",)),
    (" snmp-agent community read cipher %^%#Rd0n1y-7z%^%#", ("%^%#Rd0n1y-7z%^%#",)),
    (
        " snmp-agent community write cipher %@%@Wr!te+9q%@%@ mib-view iso-view acl 2001",
        ("%@%@Wr!te+9q%@%@",),
    ),
    (" radius-server template rad-ftth", ()),
    ("  radius-server shared-key-cipher %^%#Sh4r3dK3y%^%#", ("%^%#Sh4r3dK3y%^%#",)),
    ("  radius-server authentication 10.20.0.5 1812", ()),
    (" hwtacacs-server template tac-noc", ()),
    ("  hwtacacs-server shared-key cipher %^%#T4c4csK3y%^%#", ("%^%#T4c4csK3y%^%#",)),
    (" ntp-service authentication enable", ()),
    (
        " ntp-service authentication-keyid 1 authentication-mode md5 cipher %^%#NtpK3y1%^%#",
        ("%^%#NtpK3y1%^%#",),
    ),
    (
        " ntp-service authentication-keyid 2 authentication-mode hmac-sha256 cipher %^%#NtpK3y2%^%#",
        ("%^%#NtpK3y2%^%#",),
    ),
    (" ntp-service reliable authentication-keyid 1", ()),
    (" ntp-service unicast-server 10.20.0.1 authentication-keyid 1", ()),
    (" snmp-agent sys-info version v2c v3", ()),
    (" snmp-agent group v3 grp-noc privacy read-view iso-view write-view iso-view", ()),
    (
        " snmp-agent usm-user v3 noc-v3 authentication-mode sha AuthPlain77 "
        "privacy-mode aes128 PrivPlain88",
        ("AuthPlain77", "PrivPlain88"),
    ),
    (
        ' snmp-agent usm-user v3 noc-v3 grp-noc authentication-mode sha cipher %^%#Au"th9%^%# '
        "privacy-mode aes128 cipher %^%#Pr1v9%^%#",
        ('%^%#Au"th9%^%#', "%^%#Pr1v9%^%#"),
    ),
    (
        " snmp-agent usm-user v3 noc-md5 grp-noc cipher authentication-mode md5 %^%#Au5%^%# "
        "privacy-mode des56 %^%#Pr5%^%#",
        ("%^%#Au5%^%#", "%^%#Pr5%^%#"),
    ),
    (
        " snmp-agent usm-user v3 noc-num authentication-mode sha 20260301 "
        "privacy-mode aes128 19991231",
        ("20260301", "19991231"),
    ),
    (
        " snmp-agent target-host trap address udp-domain 10.20.0.9 params securityname "
        "cipher %^%#Tr4pC0m%^%# v2c",
        ("%^%#Tr4pC0m%^%#",),
    ),
    (
        " snmp-agent target-host trap address udp-domain 10.20.0.9 params securityname "
        "trapcomm v2c",
        ("trapcomm",),
    ),
    (
        " snmp-agent target-host trap address udp-domain 10.20.0.9 params securityname "
        "noc-v3 v3 privacy",
        (),
    ),
    # Settings that sit where the general rule expects a secret, and look-alikes.
    (" snmp-agent community complexity-check disable", ()),
    (" snmp-agent usm-user password complexity-check disable", ()),
    (" user-interface vty 0 4", ()),
    ("  authentication-mode aaa", ()),
    (" password-policy min-length 10", ()),
    (" strong-password check enable", ()),
    (
        ' ont add 0 3 sn-auth "48575443A1B2C3D4" omci ont-lineprofile-id 10 '
        'ont-srvprofile-id 10 desc "wifi password on the box"',
        (),
    ),
]

# -- ZTE C300 / C320 / C600 ----------------------------------------------------------------
ZTE: list[tuple[str, tuple[str, ...]]] = [
    ("username noc password N0cPlain privilege 15", ("N0cPlain",)),
    ("username ops password encrypted T3BzRW5j== privilege 15", ("T3BzRW5j==",)),
    ("enable secret level 15 5 RW5hYmxlSGFzaA==", ("RW5hYmxlSGFzaA==",)),
    ("enable secret En4bleP", ("En4bleP",)),
    ("system-user", ()),
    ("  user-name zte", ()),
    ("    once-password", ()),
    ("    password encrypted *21*Qk9udXNFbmNyeXB0", ("*21*Qk9udXNFbmNyeXB0",)),
    ("  strong-password length 8 character-set-num 3", ()),
    ("  strong-password check disable", ()),
    ("password-policy enable", ()),
    ("tacacs-server key T4cKey", ("T4cKey",)),
    ("tacacs-server host 10.30.0.5 key T4cHostKey", ("T4cHostKey",)),
    ("radius-server key R4dKey", ("R4dKey",)),
    ("radius-server host 10.30.0.6 key R4dHostKey auth-port 1812", ("R4dHostKey",)),
    ("snmp-server community ftthro view AllView ro", ("ftthro",)),
    ("snmp-server community ftthrw view AllView rw", ("ftthrw",)),
    ("snmp-server community ftthro2 showclear view AllView ro ipv4-access-list 1301", ("ftthro2",)),
    ("snmp-server community encrypted *31*U25tcEVuYw== view AllView rw", ("*31*U25tcEVuYw==",)),
    ("snmp-server view AllView 1.3 included", ()),
    ("snmp-server group grp-noc v3 priv read AllView write AllView", ()),
    (
        "snmp-server user noc-v3 grp-noc v3 auth md5 Md5AuthKey priv des DesPrivKey",
        ("Md5AuthKey", "DesPrivKey"),
    ),
    (
        "snmp-server user noc-sha grp-noc v3 auth sha ShaAuthKey priv aes AesPrivKey",
        ("ShaAuthKey", "AesPrivKey"),
    ),
    (
        "snmp-server user noc-enc grp-noc v3 encrypted auth sha QXV0aEVuYw== priv aes UHJpdkVuYw==",
        ("QXV0aEVuYw==", "UHJpdkVuYw=="),
    ),
    (
        "snmp-server user noc-128 grp-noc v3 auth sha Sha128Key priv aes 128 Aes128Key",
        ("Sha128Key", "Aes128Key"),
    ),
    ("snmp-server host 10.30.0.9 trap version 2c trapcomm udp-port 162", ("trapcomm",)),
    ("snmp-server host 10.30.0.9 trap version 3 priv noc-v3", ()),
    ("snmp-server version v2c enable", ()),
    ("snmp-server location POA", ()),
]


def assert_masked(
    driver: HuaweiDriver | ZteDriver, excerpt: list[tuple[str, tuple[str, ...]]]
) -> None:
    text = "\n".join(line for line, _ in excerpt)
    masked = driver.mask_config(text)
    assert driver.mask_config(masked) == masked  # masking a masked text changes nothing
    masked_lines = masked.split("\n")
    assert len(masked_lines) == len(excerpt)
    for (line, secrets), shown in zip(excerpt, masked_lines, strict=True):
        for secret in secrets:
            assert secret not in masked, (line, secret)
        # Word for word: a secret became ***, every other word stayed where it was.
        expected = [MASK if word in secrets else word for word in line.split(" ")]
        assert shown.split(" ") == expected, line


def test_huawei_secrets_are_masked_and_the_rest_of_each_line_kept() -> None:
    assert_masked(HuaweiDriver(), HUAWEI)


def test_zte_secrets_are_masked_and_the_rest_of_each_line_kept() -> None:
    assert_masked(ZteDriver(), ZTE)


@pytest.mark.parametrize(
    ("driver", "line"),
    [
        # A key id sits between the algorithm and the qualifier in OSPF and IS-IS areas.
        (HuaweiDriver(), " authentication-mode md5 1 cipher %^%#Ar3aK%^%#"),
        (HuaweiDriver(), " isis authentication-mode md5 cipher %^%#Is1sK%^%#"),
        (
            ZteDriver(),
            "snmp-server host 10.30.0.9 trap version 2c encrypted *31*VHJhcA== udp-port 162",
        ),
    ],
)
def test_one_secret_per_line(driver: HuaweiDriver | ZteDriver, line: str) -> None:
    masked = driver.mask_config(line)
    assert masked.count(MASK) == 1, masked
    assert len(masked.split()) == len(line.split())
