"""The lab finds each vendor's simulator through the vendor registry, and only there."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ispflow.lab import profiles
from ispflow.lab.profiles import (
    ConcentratorProfile,
    NoLabProfile,
    OltProfile,
    concentrator_profile,
    lab_concentrator_vendor,
    lab_olt_vendors,
    lab_profile,
    olt_profile,
)
from ispflow.plugins.vendors import (
    OltVendor,
    UnknownVendor,
    all_vendors,
    concentrator_vendors,
    olt_vendors,
)


@pytest.fixture(autouse=True)
def _fresh_lookups() -> Iterator[None]:
    lab_profile.cache_clear()
    yield
    lab_profile.cache_clear()


def test_every_registered_lab_profile_loads_with_the_right_kind() -> None:
    for name, vendor in all_vendors().items():
        if not vendor.lab_profile:
            continue
        kind = OltProfile if name in olt_vendors() else ConcentratorProfile
        assert isinstance(lab_profile(name), kind), name
    assert lab_olt_vendors() == tuple(sorted(n for n, v in olt_vendors().items() if v.lab_profile))
    assert lab_concentrator_vendor().name in concentrator_vendors()


def test_an_unknown_vendor_is_an_error() -> None:
    with pytest.raises(UnknownVendor, match="no-such-vendor.*known: "):
        lab_profile("no-such-vendor")


def test_the_kinds_do_not_mix() -> None:
    concentrator = lab_concentrator_vendor().name
    with pytest.raises(NoLabProfile, match="no OLT lab profile"):
        olt_profile(concentrator)
    with pytest.raises(NoLabProfile, match="no concentrator lab profile"):
        concentrator_profile(lab_olt_vendors()[0])


def _registry(monkeypatch: pytest.MonkeyPatch, lab_module: str | None) -> None:
    acme = OltVendor(
        name="acme",
        title="Acme",
        platforms=("acme_os",),
        netbox_slugs=("acme",),
        driver="acme.driver:Driver",
        lab_profile=lab_module,
    )
    monkeypatch.setattr(profiles, "all_vendors", lambda: {"acme": acme})


def test_a_vendor_without_a_lab_profile_gets_no_other_vendors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _registry(monkeypatch, None)
    with pytest.raises(NoLabProfile, match="'acme' has no lab profile"):
        lab_profile("acme")


def test_a_lab_profile_package_must_expose_its_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    _registry(monkeypatch, "ispflow.lab.timefmt")
    with pytest.raises(NoLabProfile, match="has no PROFILE"):
        lab_profile("acme")
