"""A lab concentrator's own set-up: ports, VLANs, addresses, neighbours, PPPoE server, SNMP.

A CCR2004-1G-12S+2XS as a regional ISP wires one: ether1 to the management network,
sfp-sfpplus1 to the core, sfp-sfpplus2 a trunk to the OLTs carrying the customers' PPPoE
VLAN and the OLTs' management VLAN; the other cages empty. Concentrator i (0, 1, ...) gets
its own addresses and MACs, so two of them never look alike.
"""

from __future__ import annotations

from ispflow.lab.routeros.device import Concentrator

ACCESS_PORT = "sfp-sfpplus2"
PPPOE_VLAN = "vlan100-pppoe"
OLT_VLAN = "vlan200-gerencia-olt"
PORTS = ["ether1", *(f"sfp-sfpplus{n}" for n in range(1, 13)), "sfp28-1", "sfp28-2"]
CABLED = {
    "ether1": "gerencia",
    "sfp-sfpplus1": "uplink core",
    ACCESS_PORT: "trunk OLTs (PPPoE + gerencia)",
}
MIKROTIK_OUI = "48:A9:8A"


def configure_base(router: Concentrator, index: int, *, community: str) -> None:
    mac = _macs(index)
    for n, port in enumerate(PORTS):
        cabled = port in CABLED
        router.seed(
            "/interface",
            name=port,
            default_name=port,
            type="ether",
            mtu="1500",
            actual_mtu="1500",
            l2mtu="1514" if port == "ether1" else "1592",
            mac_address=mac(n),
            comment=CABLED.get(port, ""),
            disabled="false",
            link="true" if cabled else "false",  # a cable (and light) in the port
        )
    for name, vid, comment in (
        (PPPOE_VLAN, "100", "PPPoE clientes"),
        (OLT_VLAN, "200", "gerencia OLTs"),
    ):
        router.seed(
            "/interface",
            name=name,
            type="vlan",
            mtu="1500",
            actual_mtu="1500",
            l2mtu="1588",
            mac_address=mac(PORTS.index(ACCESS_PORT)),
            comment=comment,
            disabled="false",
            on=ACCESS_PORT,
            vlan_id=vid,
        )
    for address, network, interface in (
        (f"10.255.{index}.2/24", f"10.255.{index}.0", "ether1"),
        (f"10.200.{index}.2/30", f"10.200.{index}.0", "sfp-sfpplus1"),
        (f"10.254.{index}.1/24", f"10.254.{index}.0", OLT_VLAN),
    ):
        router.add("/ip/address", address=address, network=network, interface=interface)
    neighbours = (
        (f"10.255.{index}.1", "DC:2C:6E:10:00:01", "ether1", "reachable"),
        (f"10.200.{index}.1", "3C:61:04:5A:0B:12", "sfp-sfpplus1", "reachable"),
        (f"10.254.{index}.11", f"00:E0:FC:3A:{index:02X}:11", OLT_VLAN, "stale"),
        (f"10.254.{index}.12", f"F4:B5:AA:7C:{index:02X}:12", OLT_VLAN, "reachable"),
        (f"10.254.{index}.99", "", OLT_VLAN, "failed"),  # asked for, never answered
    )
    for address, hw, interface, status in neighbours:
        values = {"address": address, "interface": interface, "status": status}
        if hw:
            values["mac-address"] = hw
        router.seed(
            "/ip/arp",
            **values,
            published="false",
            invalid="false",
            DHCP="false",
            dynamic="true",
            complete="true" if hw else "false",
            disabled="false",
        )
    router.seed(
        "/snmp",
        enabled="true",
        contact="noc@provedor.example",
        location=f"POP {router.name}",
        engine_id=f"80003a8c04{router.name.encode().hex()}",
    )
    router.seed(
        "/snmp/community",
        name=community,
        addresses="10.255.0.0/16",
        default="true",
    )
    router.seed("/user", name="admin", group="full", comment="system default user", disabled="true")


def serve_pppoe(router: Concentrator, profile: str) -> None:
    """The PPPoE server on the customers' VLAN (after the profiles it names exist)."""
    router.add(
        "/interface/pppoe-server/server",
        service_name=f"pppoe-{router.name}",
        interface=PPPOE_VLAN,
        default_profile=profile,
        authentication="pap,chap,mschap2",
        one_session_per_host="yes",
        max_mtu="1480",
        max_mru="1480",
        disabled="no",
    )


def _macs(index: int):  # noqa: ANN202 - a small closure
    def mac(port: int) -> str:
        return f"{MIKROTIK_OUI}:{0x10 + index:02X}:{0x20:02X}:{port + 1:02X}"

    return mac
