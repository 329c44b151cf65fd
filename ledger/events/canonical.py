"""Canonical JSON (RFC 8785, JCS) for the documents we sign and log.

Signed documents hold no floats and only integers within ±(2^53-1), and object keys stay in the Basic
Multilingual Plane; under those rules sorted-key compact ``json.dumps`` is byte-for-byte JCS (a test checks this
against the ``rfc8785`` package). Anything outside those rules is refused rather than silently re-encoded.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ledger.errors import NonCanonicalPayload

MAX_SAFE_INTEGER = 2**53 - 1
_FOUR_BYTE_UTF8 = re.compile(rb"[\xf0-\xf4]")  # lead bytes of characters beyond the BMP


def _check(value: Any, where: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise NonCanonicalPayload(f"{where}: object keys must be strings")
            if key and max(key) > "\uffff":
                raise NonCanonicalPayload(f"{where}: object key {key!r} is outside the Basic Multilingual Plane")
            _check(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check(item, f"{where}[{i}]")
    elif isinstance(value, bool) or value is None or isinstance(value, str):
        return
    elif isinstance(value, int):
        _check_int(value, where)
    elif isinstance(value, float):
        raise NonCanonicalPayload(f"{where}: floats are not allowed in signed documents; use integers")
    else:
        raise NonCanonicalPayload(f"{where}: {type(value).__name__} is not a JSON value")


def _check_int(value: int, where: str) -> int:
    if abs(value) > MAX_SAFE_INTEGER:
        raise NonCanonicalPayload(f"{where}: integer {value} is outside ±(2^53-1)")
    return value


def _encode(value: Any) -> bytes:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise NonCanonicalPayload("a string holds a lone surrogate, which UTF-8 cannot encode") from None


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 encoding of ``value`` (UTF-8 bytes), refusing values outside the rules above."""
    _check(value, "$")
    return _encode(value)


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise NonCanonicalPayload("an object has a duplicate key")
    return result


def _reject_constant(name: str) -> Any:
    raise NonCanonicalPayload(f"{name} is not valid JSON")


def _reject_float(text: str) -> Any:
    raise NonCanonicalPayload(f"number {text} is not an integer; signed documents hold no floats")


def _parse_int(text: str) -> int:
    return _check_int(int(text), "$")


def loads_strict(data: bytes | str) -> Any:
    """Parse JSON refusing duplicate keys, floats, NaN/Infinity and unsafe integers: values with no canonical form."""
    try:
        return json.loads(
            data,
            object_pairs_hook=_reject_duplicate_keys,
            parse_constant=_reject_constant,
            parse_float=_reject_float,
            parse_int=_parse_int,
        )
    except (ValueError, RecursionError) as exc:  # bad JSON, bad UTF-8, a >4300-digit integer, absurd nesting
        raise NonCanonicalPayload(f"not valid JSON: {str(exc)[:200]}") from None


def parse_canonical(data: bytes) -> Any:
    """Parse bytes that must already be canonical JSON, and return the value.

    The parser rules out floats, NaN and unsafe integers; a duplicate key needs no hook, as re-encoding keeps one
    copy and so cannot give back the same bytes. Keys beyond the BMP are checked only when the bytes hold such
    characters at all.
    """
    try:
        value = json.loads(data, parse_constant=_reject_constant, parse_float=_reject_float, parse_int=_parse_int)
    except (ValueError, RecursionError) as exc:  # bad JSON, bad UTF-8, a >4300-digit integer, absurd nesting
        raise NonCanonicalPayload(f"not valid JSON: {str(exc)[:200]}") from None
    if _FOUR_BYTE_UTF8.search(data):
        _check(value, "$")
    if _encode(value) != data:
        raise NonCanonicalPayload("the bytes are not RFC 8785 canonical JSON")
    return value
