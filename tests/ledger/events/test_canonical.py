from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import NonCanonicalPayload
from ledger.events.canonical import MAX_SAFE_INTEGER, canonical_json, loads_strict, parse_canonical
from tests.strategies import json_keys, signed_json_documents


@given(signed_json_documents())
def test_canonical_json_equals_rfc8785(document: Any) -> None:
    assert canonical_json(document) == rfc8785.dumps(document)


def test_chinese_text_and_escapes_match_rfc8785() -> None:
    document = {"名称": "宣威火腿", "地点": "曲靖市麒麟区\n分拨中心", "€": '\u0007\u001f"\\/', "a": [1, -2, True, None]}
    assert canonical_json(document) == rfc8785.dumps(document)
    assert canonical_json(document).decode("utf-8").count("宣威火腿") == 1


def test_keys_sort_by_code_point_within_the_bmp() -> None:
    assert canonical_json({"b": 1, "a": 2, "中": 3, "A": 4}) == b'{"A":4,"a":2,"b":1,"' + "中".encode() + b'":3}'


@pytest.mark.parametrize(
    "value",
    [1.5, {"x": 0.0}, [MAX_SAFE_INTEGER + 1], {"k": -MAX_SAFE_INTEGER - 1}, {"\U0001f600": 1}, "\ud800", {1: 2}],
)
def test_values_without_a_shared_canonical_form_are_refused(value: Any) -> None:
    with pytest.raises(NonCanonicalPayload):
        canonical_json(value)


@given(st.dictionaries(json_keys, st.integers(-5, 5), min_size=1, max_size=4))
def test_loads_strict_round_trips_canonical_bytes(document: dict[str, int]) -> None:
    assert loads_strict(canonical_json(document)) == document


@pytest.mark.parametrize("text", ['{"a":1,"a":2}', '{"a":NaN}', "[Infinity]", "{", b'"\xff"'])
def test_loads_strict_refuses_duplicates_and_non_json(text: str | bytes) -> None:
    with pytest.raises(NonCanonicalPayload):
        loads_strict(text)


@pytest.mark.parametrize(
    "data",
    [b'{"a":1,"a":1}', b'{"a":1.0}', b'{"a":9007199254740992}', b'{"b":1,"a":2}', b'{"a": 1}', b'"\\u00e9"', b"[1e2]"],
)
def test_parse_canonical_refuses_every_non_canonical_form(data: bytes) -> None:
    with pytest.raises(NonCanonicalPayload):
        parse_canonical(data)


@given(signed_json_documents())
def test_parse_canonical_accepts_canonical_bytes(document: Any) -> None:
    assert parse_canonical(canonical_json(document)) == document


@pytest.mark.parametrize("data", [b'{"a":' + b"1" * 4301 + b"}", b"[" * 20_000 + b"]" * 20_000])
def test_parsers_refuse_what_pythons_json_cannot_hold(data: bytes) -> None:
    """A 4,301-digit integer and 20,000 levels of nesting are refused as non-canonical, never an internal error."""
    with pytest.raises(NonCanonicalPayload):
        parse_canonical(data)
    with pytest.raises(NonCanonicalPayload):
        loads_strict(data)
