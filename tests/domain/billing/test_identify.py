"""The identification rules of the billing API, without HTTP."""

from __future__ import annotations

import pytest

from entryphone.billing.identify import mac_field, require_exactly_one, require_id_xor_mac
from entryphone.errors import ValidationFailed


def test_id_and_mac_together_is_refused_on_both_keys() -> None:
    with pytest.raises(ValidationFailed) as caught:
        require_id_xor_mac(1, "AA:BB:CC:DD:EE:FF")
    assert set(caught.value.errors) == {"id", "mac"}
    assert "prohibits" in caught.value.errors["id"][0]


def test_neither_id_nor_mac_is_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        require_id_xor_mac(None, None)
    assert caught.value.errors["id"] == ["The id field is required when mac is not present."]
    assert caught.value.errors["mac"] == ["The mac field is required when id is not present."]


@pytest.mark.parametrize(("intercom_id", "mac"), [(1, None), (None, "aa-bb-cc-dd-ee-ff")])
def test_one_of_id_or_mac_passes(intercom_id: int | None, mac: str | None) -> None:
    require_id_xor_mac(intercom_id, mac)


def test_show_needs_exactly_one_identifier() -> None:
    require_exactly_one(None, None, "ext-1")
    with pytest.raises(ValidationFailed) as none_sent:
        require_exactly_one(None, None, None)
    assert set(none_sent.value.errors) == {"id", "mac", "external_id"}
    with pytest.raises(ValidationFailed) as two_sent:
        require_exactly_one(3, None, "ext-1")
    assert set(two_sent.value.errors) == {"id", "external_id"}


def test_mac_field_normalises_and_names_the_offending_key() -> None:
    assert mac_field("mac", "aabbccddeeff") == "AA:BB:CC:DD:EE:FF"
    with pytest.raises(ValidationFailed) as caught:
        mac_field("new_mac", "AA:BB:CC:DD:EE")
    assert list(caught.value.errors) == ["new_mac"]
    assert caught.value.errors["new_mac"][0].startswith("The new_mac must be a MAC address")
