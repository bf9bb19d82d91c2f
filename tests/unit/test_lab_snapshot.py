"""A PON's views without detail (lab/model.py): what the state and configuration tables need."""

from __future__ import annotations

from ispflow.lab.fleet import FleetSpec, build_fleet

SPEC = FleetSpec(olts=2, pons=2, onus=12, autofind=0, concentrators=0, base_port=0)


def test_views_without_detail_are_the_full_views_without_readings_and_service_ports() -> None:
    read = ports = 0
    for device in build_fleet(SPEC):
        olt = device.olt
        for pon in olt.pons:
            # Two of each: a flapping ONU reads the same until an optical read of its PON.
            brief = olt.snapshot(pon, detail=False)
            full = olt.snapshot(pon)
            assert [view._replace(reading=None, service_ports=()) for view in full] == brief
            assert all(view.reading is None and view.service_ports == () for view in brief)
            read += sum(view.reading is not None for view in full)
            ports += sum(len(view.service_ports) for view in full)
    assert read and ports  # the full views had both to leave out
