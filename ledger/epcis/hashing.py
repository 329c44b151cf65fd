"""The EPCIS event hash ID (CBV 2.0 §8.9): ``ni:///sha-256;<hex>?ver=CBV2.0`` over an event's pre-hash string.

The pre-hash string names each field of the event in the canonical property order (``eventType=…eventTime=…``),
values normalised so that every serialisation of one event gives one string: times in UTC with milliseconds,
numbers without trailing zeros, CBV terms as web URIs, EPC URNs and Digital Links as constrained canonical
Digital Links, CURIEs expanded; the items of a list sorted; ILMD and user extensions as ``{namespace}name=value``,
sorted, after the standard fields. ``eventID``, ``recordTime`` and ``errorDeclaration`` are not hashed, so an
event keeps its id when it is recorded again or declared in error.

Two choices where the standard's text leaves room, both what its reference implementation does: a source,
destination or business transaction writes its ``type=`` before its value, and a string that is a plain decimal
numeral is a number (``"0.50"`` hashes as ``0.5``), as it must be for an XML event, where every value is text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ledger.epcis.uris import canonical_gs1_uri
from ledger.errors import InvalidEpcisEvent
from ledger.events import format_time

CBV = "https://ref.gs1.org/cbv/"
GS1_VOCABULARY = "https://gs1.org/voc/"
#: The prefixes the EPCIS 2.0 JSON-LD context defines (``epcis-context.jsonld``), which any document may use.
STANDARD_PREFIXES = {"epcis": "https://ref.gs1.org/epcis/", "cbv": CBV, "cbvmda": "urn:epcglobal:cbv:mda:",
                     "gs1": GS1_VOCABULARY}  # fmt: skip

_QUANTITY = ("epcClass", "quantity", "uom")
_EPCS = ("epc", None)
_QUANTITIES = ("quantityElement", _QUANTITY)
_SENSOR_METADATA = ("time", "startTime", "endTime", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod",
                    "bizRules")  # fmt: skip
_SENSOR_REPORT = (
    "type", "exception", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod", "time", "microorganism",
    "chemicalSubstance", "value", "component", "stringValue", "booleanValue", "hexBinaryValue", "uriValue",
    "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue", "uom", "coordinateReferenceSystem",
)  # fmt: skip
#: The canonical property order: each standard field, and for a list, the name and fields of its items.
_ORDER: tuple[tuple[str, tuple[str, tuple[str, ...] | None] | None], ...] = (
    ("eventTime", None), ("eventTimeZoneOffset", None), ("certificationInfo", None),
    ("epcList", _EPCS), ("parentID", None), ("inputEPCList", _EPCS), ("childEPCs", _EPCS),
    ("quantityList", _QUANTITIES), ("childQuantityList", _QUANTITIES), ("inputQuantityList", _QUANTITIES),
    ("outputEPCList", _EPCS), ("outputQuantityList", _QUANTITIES), ("action", None), ("transformationID", None),
    ("bizStep", None), ("disposition", None), ("persistentDisposition", None), ("readPoint", None),
    ("bizLocation", None), ("bizTransactionList", ("", ("type", "bizTransaction"))),
    ("sourceList", ("", ("type", "source"))), ("destinationList", ("", ("type", "destination"))),
    ("sensorElementList", None), ("ilmd", None),
)  # fmt: skip
_NOT_HASHED = frozenset({"@context", "type", "eventID", "recordTime", "errorDeclaration"})
_TIMES = frozenset({"eventTime", "time", "startTime", "endTime"})
#: Fields whose bare-string values are CBV (or GS1 web vocabulary) terms, and the URI each term expands to.
_VOCABULARY = {"bizStep": CBV + "BizStep-", "disposition": CBV + "Disp-", "set": CBV + "Disp-",
               "unset": CBV + "Disp-", "reason": CBV + "ER-"}  # fmt: skip
_TYPED_VOCABULARY = {"bizTransaction": CBV + "BTT-", "source": CBV + "SDT-", "destination": CBV + "SDT-",
                     "sensorReport": GS1_VOCABULARY}  # fmt: skip
_URN_VOCABULARY = {"urn:epcglobal:cbv:bizstep:": "BizStep-", "urn:epcglobal:cbv:disp:": "Disp-",
                   "urn:epcglobal:cbv:btt:": "BTT-", "urn:epcglobal:cbv:sdt:": "SDT-",
                   "urn:epcglobal:cbv:er:": "ER-"}  # fmt: skip
_BARE_TERM = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)")
_CURIE = re.compile(r"([A-Za-z][A-Za-z0-9_-]*):(.*)")


def document_prefixes(context: object) -> dict[str, str]:
    """The namespace prefixes an EPCIS document's ``@context`` defines, over the EPCIS context's own."""
    prefixes = dict(STANDARD_PREFIXES)
    for item in context if isinstance(context, list) else [context]:
        if isinstance(item, Mapping):
            prefixes.update({k: v for k, v in item.items() if isinstance(k, str) and isinstance(v, str)})
    return prefixes


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "+0") else text


def _time(value: str) -> str:
    """A timestamp in UTC with milliseconds, the third decimal rounded up when the fourth is 5 to 9."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidEpcisEvent(f"{value!r} is not an xsd:dateTimeStamp") from None
    if moment.tzinfo is None:
        raise InvalidEpcisEvent(f"time {value!r} has no time zone offset")
    milliseconds = moment.microsecond // 1000 + (1 if moment.microsecond // 100 % 10 >= 5 else 0)
    return format_time(moment.replace(microsecond=0) + timedelta(milliseconds=milliseconds), milliseconds=True)


class _Canon:
    """Normalises values and names for one document (its namespace prefixes)."""

    def __init__(self, prefixes: Mapping[str, str]) -> None:
        self.prefixes = prefixes

    def name(self, key: str) -> str:
        """A user extension's name as ``{namespace}local``; a standard field's name as it is."""
        curie = _CURIE.fullmatch(key)
        if curie is None or curie.group(1) not in self.prefixes:
            return key
        return "{" + self.prefixes[curie.group(1)] + "}" + curie.group(2)

    def value(self, value: Any, vocabulary: str | None = None) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return _number(Decimal(repr(value)) if isinstance(value, float) else Decimal(value))
        if not isinstance(value, str):
            raise InvalidEpcisEvent(f"{value!r} is not a simple value")
        text = value.strip()
        for urn, term in _URN_VOCABULARY.items():
            if text.startswith(urn):
                return CBV + term + text.removeprefix(urn)
        if vocabulary is not None and _BARE_TERM.fullmatch(text):
            return vocabulary + text
        if _DECIMAL.fullmatch(text):
            return _number(Decimal(text))
        gs1 = canonical_gs1_uri(text)
        if gs1 is not None:
            return gs1
        curie = _CURIE.fullmatch(text)
        if curie is not None and curie.group(1) in self.prefixes and not curie.group(2).startswith("//"):
            return self.prefixes[curie.group(1)] + curie.group(2)
        return text

    def pair(self, key: str, value: Any, vocabulary: str | None = None) -> str:
        return f"{key}={_time(value) if key in _TIMES else self.value(value, vocabulary)}"

    def fields(self, obj: Mapping[str, Any], order: Sequence[str], vocabulary: str | None = None) -> str:
        """The fields of a standard structure in their order, then its extensions (sorted)."""
        parts = [self.pair(k, obj[k], vocabulary if k == "type" else _VOCABULARY.get(k)) for k in order if k in obj]
        return "".join(parts) + self.extensions({k: v for k, v in obj.items() if k not in order})

    def extensions(self, obj: Mapping[str, Any]) -> str:
        """User extension elements (or ILMD), ``{namespace}name=value`` or ``{namespace}name`` + children, sorted."""
        parts: list[str] = []
        for key, item in obj.items():
            if _CURIE.fullmatch(key) is None and not key.startswith("{"):
                raise InvalidEpcisEvent(f"{key!r} is neither an EPCIS field nor a namespaced extension")
            name = self.name(key)
            for element in item if isinstance(item, list) else [item]:
                if isinstance(element, Mapping):
                    parts.append(name + self.extensions(element))
                else:
                    parts.append(f"{name}={self.value(element)}")
        return "".join(sorted(parts))


def _list(canon: _Canon, key: str, items: Any, item: tuple[str, tuple[str, ...] | None]) -> str:
    name, order = item
    if not isinstance(items, list):
        raise InvalidEpcisEvent(f"{key} must be a list")
    if order is None:
        parts = [canon.pair(name, value) for value in items]
    else:
        vocabulary = _TYPED_VOCABULARY.get(order[-1])
        parts = [name + canon.fields(_object(key, element), order, vocabulary) for element in items]
    return key + "".join(sorted(parts)) if parts else ""


def _object(key: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidEpcisEvent(f"{key} must be an object")
    return value


def _sensor_element(canon: _Canon, element: Mapping[str, Any]) -> str:
    text = "sensorElement"
    if "sensorMetadata" in element:
        text += "sensorMetadata" + canon.fields(_object("sensorMetadata", element["sensorMetadata"]), _SENSOR_METADATA)
    reports = element.get("sensorReport", [])
    text += "".join(sorted("sensorReport" + canon.fields(_object("sensorReport", r), _SENSOR_REPORT, GS1_VOCABULARY)
                           for r in reports))  # fmt: skip
    return text + canon.extensions({k: v for k, v in element.items() if k not in ("sensorMetadata", "sensorReport")})


def _field(canon: _Canon, key: str, value: Any, item: tuple[str, tuple[str, ...] | None] | None) -> str:
    if item is not None:
        return _list(canon, key, value, item)
    if key in ("readPoint", "bizLocation"):
        return key + canon.fields(_object(key, value), ("id",))
    if key == "persistentDisposition":
        found = _object(key, value)
        return key + "".join("".join(sorted(canon.pair(k, v, _VOCABULARY[k]) for v in found.get(k, [])))
                             for k in ("set", "unset"))  # fmt: skip
    if key == "sensorElementList":
        elements = value if isinstance(value, list) else []
        return key + "".join(sorted(_sensor_element(canon, _object(key, e)) for e in elements))
    if key == "ilmd":
        return key + canon.extensions(_object(key, value))
    return canon.pair(key, value, _VOCABULARY.get(key))


def prehash(event: Mapping[str, Any], prefixes: Mapping[str, str] = STANDARD_PREFIXES) -> str:
    """The pre-hash string of one EPCIS 2.0 event (JSON-LD), with the namespace prefixes of its document."""
    event_type = event.get("type")
    if not isinstance(event_type, str):
        raise InvalidEpcisEvent("an EPCIS event needs its type")
    canon = _Canon(prefixes)
    standard = {key for key, _ in _ORDER}
    text = f"eventType={event_type}" + "".join(_field(canon, k, event[k], item) for k, item in _ORDER if k in event)
    return text + canon.extensions({k: v for k, v in event.items() if k not in standard | _NOT_HASHED})


def event_hash_id(event: Mapping[str, Any], prefixes: Mapping[str, str] = STANDARD_PREFIXES) -> str:
    """The event's hash ID, ``ni:///sha-256;<hex>?ver=CBV2.0`` (RFC 6920)."""
    digest = hashlib.sha256(prehash(event, prefixes).encode("utf-8")).hexdigest()
    return f"ni:///sha-256;{digest}?ver=CBV2.0"
