"""Reading a ``POST /v1/events`` body: one DSSE envelope object, or an array of them submitted as one batch.

Only the JSON syntax is checked here; a duplicate key is refused because two readers of the same bytes could
otherwise disagree on what was submitted. Everything about the envelopes themselves (shape, size, canonical
payload, signatures, rules) is the ledger's to decide, and its errors name the failing event's position.
"""

from __future__ import annotations

import json
from typing import Any

from api.errors import MalformedJson


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise MalformedJson(f"an object has the key {key[:40]!r} more than once")
        seen.add(key)
    return dict(pairs)


def _reject_constant(name: str) -> Any:
    raise MalformedJson(f"{name} is not valid JSON")


def read_submissions(body: bytes) -> list[Any]:
    """The submitted envelopes, in order: a lone object is a batch of one."""
    if not body.strip():
        raise MalformedJson("the request body is empty; send a DSSE envelope or a JSON array of envelopes")
    try:
        value = json.loads(body, object_pairs_hook=_reject_duplicate_keys, parse_constant=_reject_constant)
    except RecursionError:
        raise MalformedJson("the request body is nested too deeply") from None
    except UnicodeDecodeError:
        raise MalformedJson("the request body is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise MalformedJson(
            f"the request body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except ValueError:  # Python refuses to convert integers of more than 4300 digits (sys.get_int_max_str_digits)
        raise MalformedJson("the request body holds a number with too many digits") from None
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return value
    raise MalformedJson("the request body must be a DSSE envelope object or an array of envelope objects")
