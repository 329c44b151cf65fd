"""GS1 identifiers as EPCIS 2.0 writes them: EPC URNs turned into canonical GS1 Digital Link URIs, and the URIs
the export gives the ledger's subjects, places and parties.

The event hash (CBV 2.0 §8.9) compares identifiers in one form only, the *constrained canonical* Digital Link:
host ``https://id.gs1.org``, no query string, and only the finest level of identification (a serial drops the lot).
EPC pure-identity and class URNs (EPC Tag Data Standard §6) are converted to it; anything else stays as written.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit

from stdnum import ean

from ledger.identifiers import parse_subject

GS1_RESOLVER = "https://id.gs1.org"
#: Parties and places without a GS1 company prefix are named by their USCC under this URN (documented in README).
ACTOR_URN = "urn:traceledger:actor:"
#: A parcel known by a carrier's waybill rather than an SSCC.
WAYBILL_URN = "urn:traceledger:parcel:"

# Digital Link primary keys, and the key qualifiers that still identify one thing (GS1 DL 1.2 §4.11, constrained).
_PRIMARY_KEYS = frozenset(
    {"00", "01", "253", "255", "401", "402", "414", "417", "8003", "8004", "8006", "8010", "8017", "8018"}
)
_SHORT_NAMES = {
    "gtin": "01", "itip": "8006", "cpid": "8010", "gln": "414", "party": "417", "gsrnp": "8017", "gsrn": "8018",
    "gcn": "255", "sscc": "00", "gdti": "253", "ginc": "401", "gsin": "402", "grai": "8003", "giai": "8004",
    "cpv": "22", "lot": "10", "ser": "21",
}  # fmt: skip
_QUALIFIERS = {"01": ("21", "10", "235"), "8006": ("21", "10"), "414": ("254",), "8010": ("8011",)}
_URN = re.compile(r"urn:epc:(id|class|idpat):([a-z]+):([0-9]+)\.(.*)")


def _check(digits: str) -> str:
    return digits + ean.calc_check_digit(digits)


def _dl_value(urn_value: str) -> str:
    """An EPC URN component (URN-escaped) as a Digital Link path segment (percent-encoded as DL requires)."""
    return quote(unquote(urn_value), safe="-._'\"")


def _from_urn(scheme_kind: str, scheme: str, prefix: str, rest: str) -> str | None:
    """The Digital Link path of one EPC URN, or None for a scheme or shape this module does not convert."""
    parts = rest.split(".")
    match scheme_kind, scheme, parts:
        case ("id", "sgtin", [item, serial]) | ("class", "lgtin", [item, serial]) if len(prefix + item) == 13:
            gtin = _check(item[:1] + prefix + item[1:])
            return f"01/{gtin}/{'21' if scheme == 'sgtin' else '10'}/{_dl_value(serial)}"
        case ("idpat", "sgtin", [item, "*"]) if len(prefix + item) == 13:
            return f"01/{_check(item[:1] + prefix + item[1:])}"
        case ("id", "sscc", [serial]) if len(prefix + serial) == 17:
            return f"00/{_check(serial[:1] + prefix + serial[1:])}"
        case ("id", "sgln", [location, extension]) if len(prefix + location) == 12:
            gln = _check(prefix + location)
            return f"414/{gln}" if extension == "0" else f"414/{gln}/254/{_dl_value(extension)}"
        case ("id", "pgln", [party]) if len(prefix + party) == 12:
            return f"417/{_check(prefix + party)}"
        case ("id", "giai", [*asset]) if asset:
            return f"8004/{prefix}{_dl_value('.'.join(asset))}"
        case ("id", "grai", [asset_type, serial]) if len(prefix + asset_type) == 12:
            return f"8003/{_check('0' + prefix + asset_type)}{_dl_value(serial)}"
        case ("id", "gdti", [document_type, serial]) if len(prefix + document_type) == 12:
            return f"253/{_check(prefix + document_type)}{_dl_value(serial)}"
        case ("id", "sgcn", [coupon, serial]) if len(prefix + coupon) == 12:
            return f"255/{_check(prefix + coupon)}{serial}"
        case ("id", "gsrn" | "gsrnp", [service]) if len(prefix + service) == 17:
            return f"{'8018' if scheme == 'gsrn' else '8017'}/{_check(prefix + service)}"
    return None


def _constrained(path: str) -> str | None:
    """A Digital Link path reduced to its primary key and the one qualifier that identifies most finely."""
    segments = path.split("/")
    start = next((i for i, s in enumerate(segments) if _SHORT_NAMES.get(s, s) in _PRIMARY_KEYS), None)
    if start is None or (len(segments) - start) % 2:
        return None
    pairs = {_SHORT_NAMES.get(k, k): v for k, v in zip(segments[start::2], segments[start + 1 :: 2], strict=True)}
    key = _SHORT_NAMES.get(segments[start], segments[start])
    value = pairs[key]
    if key == "01" and len(value) < 14:  # GTIN-8, -12 and -13 are written as GTIN-14
        value = value.zfill(14)
    qualifier = next((q for q in _QUALIFIERS.get(key, ()) if q in pairs), None)
    return f"{key}/{value}" + (f"/{qualifier}/{pairs[qualifier]}" if qualifier else "")


def canonical_gs1_uri(value: str) -> str | None:
    """The constrained canonical Digital Link of an EPC URN or a Digital Link URI; None for any other value."""
    urn = _URN.fullmatch(value)
    if urn is not None:
        path = _from_urn(*urn.groups())
    elif value.startswith(("https://", "http://")):
        path = _constrained(urlsplit(value).path.strip("/"))
    else:
        return None
    return None if path is None else f"{GS1_RESOLVER}/{path}"


def subject_uri(path: str) -> str:
    """A subject (batch, item or parcel path) as the EPCIS identifier that names it: its Digital Link for GS1
    keys (an item is an SGTIN, GTIN and serial without its lot; a batch an LGTIN class; a parcel an SSCC), a URN
    for a waybill."""
    subject = parse_subject(path)
    if subject.kind == "parcel" and subject.sscc is None:
        return f"{WAYBILL_URN}{subject.carrier}:{subject.waybill}"
    if subject.kind == "item":
        return f"{GS1_RESOLVER}/01/{subject.gtin}/21/{subject.path.rsplit('/', 1)[1]}"
    return f"{GS1_RESOLVER}/{subject.path}"


def company_gln(prefix: str) -> str:
    """The GLN a company prefix gives with location reference zero: the party's own number, all the ledger knows."""
    return _check(prefix.ljust(12, "0"))


def location_uri(actor_id: str, gs1_prefixes: list[str]) -> str:
    """Where an actor acts, as a readPoint or bizLocation: the GLN of its first GS1 company prefix (an SGLN,
    ``414``), or, for an actor without one, its USCC under ``urn:traceledger:actor:``."""
    return f"{GS1_RESOLVER}/414/{company_gln(gs1_prefixes[0])}" if gs1_prefixes else ACTOR_URN + actor_id


def party_uri(actor_id: str, gs1_prefixes: list[str]) -> str:
    """Who owns or holds goods, as a source or destination: the party GLN (``417``) or the USCC URN."""
    return f"{GS1_RESOLVER}/417/{company_gln(gs1_prefixes[0])}" if gs1_prefixes else ACTOR_URN + actor_id
