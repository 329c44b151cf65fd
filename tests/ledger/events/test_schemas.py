"""The data schemas refuse control characters in every text of an event's data, and only those."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

import pytest

from ledger.errors import InvalidPayload
from ledger.events.schemas import validate_data

BATCH = "01/06901234567892/10/XW2026-11"
PARCEL = "00/069012340000000016"
ACTOR = "actor/91530300MA6K5X2Y36"
KEY = "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik="
CONTROLS = ["\x00", "\x07", "\t", "\n", "\r", "\x1b", "\x7f", "\x85", "\x9b"]

PRODUCTION = {"product": "宣威火腿", "category": "food", "quantity": 10, "unit": "件", "place": "云南省曲靖市宣威市"}
REGISTRATION = {
    "name": "宣威火腿厂", "roles": ["producer"], "gs1_prefixes": [], "keys": [{"public_key": KEY}],
    "licences": [{"type": "food_production", "number": "SC11253", "valid_until": "2030-12-31T00:00:00Z"}],
}  # fmt: skip
DISPATCH = {
    "type": "dispatch", "contents": [{"batch": BATCH, "quantity": 1, "serials": ["0001"]}],
    "to": "91530300MA6K5X2Y36", "location": "曲靖市麒麟区 分拨中心",
}  # fmt: skip

# (kind, subject, valid data, where a text goes in it, that text's field as the problem names it)
CASES: list[tuple[str, str, dict[str, Any], tuple[Any, ...], str]] = [
    ("production", BATCH, PRODUCTION, ("product",), "data.product"),
    ("production", BATCH, PRODUCTION, ("place",), "data.place"),
    ("production", BATCH, PRODUCTION, ("unit",), "data.unit"),
    ("actor.register", ACTOR, REGISTRATION, ("name",), "data.name"),
    ("actor.register", ACTOR, REGISTRATION, ("licences", 0, "number"), "data.licences.0.number"),
    ("shipment", PARCEL, DISPATCH, ("location",), "data.location"),
    ("shipment", PARCEL, DISPATCH, ("contents", 0, "serials", 0), "data.contents.0.serials"),
    ("shipment", PARCEL, {"type": "handoff", "from": "91530300MA6K5X2Y36", "location": "曲靖"}, ("location",),
     "data.location"),
    ("inspection", BATCH, {"result": "pass", "standard": "GB 2730-2015"}, ("standard",), "data.standard"),
    ("sanction", ACTOR, {"list": "black", "reason": "销售过期食品"}, ("reason",), "data.reason"),
]  # fmt: skip


def _with_text(data: dict[str, Any], where: tuple[Any, ...], suffix: str) -> dict[str, Any]:
    """A copy of ``data`` whose text at ``where`` ends with ``suffix``."""
    copy = deepcopy(data)
    holder = copy
    for step in where[:-1]:
        holder = holder[step]
    holder[where[-1]] = holder[where[-1]] + suffix
    return copy


@pytest.mark.parametrize(("kind", "subject", "data", "where", "field"), CASES)
@pytest.mark.parametrize("control", CONTROLS)
def test_a_control_character_in_any_text_is_refused_naming_the_field(
    kind: str, subject: str, data: dict[str, Any], where: tuple[Any, ...], field: str, control: str
) -> None:
    validate_data(kind, subject, data)  # the case itself is valid
    with pytest.raises(InvalidPayload) as info:
        validate_data(kind, subject, _with_text(data, where, control + "x"))
    assert info.value.detail.startswith(f"{field}: ")
    assert f"U+{ord(control):04X}" in info.value.detail


@pytest.mark.parametrize(
    "text",
    ["宣威火腿·特级", "礼盒\u3000装", "云南省曲靖市（麒麟区）", "🎁 年货", "Café Ünïcode", "\u00a0NBSP", "\u200b零宽"],
)
def test_chinese_and_other_printable_text_is_still_accepted(text: str) -> None:
    assert validate_data("production", BATCH, {**PRODUCTION, "product": text}).model_dump()["product"] == text


@pytest.mark.parametrize(
    "data",
    [
        {"outcome": "compensated"},  # no amount: it was read as 0 fen
        {"outcome": "compensated", "compensation": 0},
        {"outcome": "upheld", "compensation": 500},
        {"outcome": "withdrawn", "compensation": 1},
    ],
)
def test_a_compensation_is_given_exactly_when_the_outcome_is_compensated(data: dict[str, Any]) -> None:
    with pytest.raises(InvalidPayload) as info:
        validate_data("complaint.resolution", BATCH, data)
    assert "compensation" in info.value.detail


@pytest.mark.parametrize(
    "data", [{"outcome": "compensated", "compensation": 500}, {"outcome": "rejected"}, {"outcome": "upheld"}]
)
def test_a_resolution_with_its_amount_or_none_is_accepted(data: dict[str, Any]) -> None:
    assert validate_data("complaint.resolution", BATCH, data).model_dump(exclude_unset=True) == data
