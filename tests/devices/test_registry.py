from __future__ import annotations

import aiohttp
import pytest

from entryphone.devices import DeviceTarget, DriverRegistry, UnknownVendor, default_registry
from entryphone.devices.twon import TwoNDriver


async def test_2n_is_registered_case_insensitively() -> None:
    registry = default_registry()
    assert registry.vendors() == ["2n"]
    async with aiohttp.ClientSession() as session:
        driver = registry.create(DeviceTarget(vendor=" 2N ", host="127.0.0.1"), session)
    assert isinstance(driver, TwoNDriver)


async def test_unknown_vendor_names_the_vendor() -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(UnknownVendor, match="'akuvox'") as caught:
            default_registry().create(DeviceTarget(vendor="akuvox", host="127.0.0.1"), session)
    assert caught.value.vendor == "akuvox" and "2n" in str(caught.value)


def test_empty_registry_supports_nothing() -> None:
    registry = DriverRegistry()
    assert not registry.supports("2n") and registry.vendors() == []


def test_target_repr_hides_the_password() -> None:
    assert "hunter2" not in repr(DeviceTarget(vendor="2n", host="h", username="u", password="hunter2"))
