"""Identifiers of the ledger: GS1 keys, Chinese USCCs, subject paths and GS1 Digital Links (DESIGN §3).

Every event names its subject by one of these strings, so they are validated once, here, and strictly: a value
is either exactly well-formed or rejected with ``InvalidIdentifier``; nothing is trimmed, padded or guessed.

Where the standards leave room, this module chooses:

- GTINs are GTIN-14 only (a GTIN-13 is written with a leading ``0``, a GTIN-12/UPC with ``00``).
- A GS1 company prefix is 6 to 12 digits, the lengths GS1's company-prefix length table allocates. A U.P.C.
  company prefix is registered in its GS1 form, ``"0"`` + the U.P.C. prefix.
- In paths, lots and serials are percent-encoded as GS1 Digital Link requires: each character of set 82 other
  than letters, digits and ``- . _`` (that is ``! " % & ' ( ) * + , / : ; < = > ?``) is written ``%XX`` in
  upper-case hex. That is the canonical ``Subject.path``; parsing also accepts any other valid RFC 3986
  spelling and canonicalises it, so compare subjects by ``parse_subject(s).path``, never by the raw string.
- A Digital Link is ``https://<host>[:port]/<GS1 subject path>[?17=YYMMDD]``: no path prefix, no other query
  key, no fragment; only GS1 subjects (batch, item, SSCC parcel), and an expiry only on a GTIN subject.
"""

from __future__ import annotations

import calendar
import re
import string
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Literal
from urllib.parse import quote, unquote, urlsplit

from stdnum import ean
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum, ValidationError

from ledger.errors import InvalidIdentifier

__all__ = [
    "DigitalLink",
    "Subject",
    "actor_subject",
    "batch_subject",
    "build_digital_link",
    "expiry_date",
    "gtin_has_company_prefix",
    "item_subject",
    "parcel_subject",
    "parse_digital_link",
    "parse_subject",
    "validate_company_prefix",
    "validate_gtin",
    "validate_lot",
    "validate_serial",
    "validate_sscc",
    "validate_uscc",
]

# GS1 AI encodable character set 82 (GS1 General Specifications, figure 7.11-1).
_CHARSET_82 = frozenset(string.ascii_letters + string.digits + "!\"%&'()*+,-./:;<=>?_")

_MAX_ATTRIBUTE_LENGTH = 20  # lot (AI 10) and serial (AI 21) are X..20
_DIGITS = re.compile(r"[0-9]+")
_CARRIER = re.compile(r"[a-z0-9-]{2,32}")
_WAYBILL = re.compile(r"[A-Za-z0-9-]{1,40}")
# An RFC 3986 path segment: pchar = unreserved / pct-encoded / sub-delims / ":" / "@".
_PATH_SEGMENT = re.compile(r"(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})+")
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?")
_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]+")
_SUBJECT_FORMS = "01/<GTIN>/10/<lot>[/21/<serial>], 00/<SSCC>, parcel/<carrier>/<waybill>, actor/<USCC>, log"


def _show(value: str) -> str:
    """The value as it can appear in a one-line message: quoted if it is odd, cut if it is long."""
    shown = value if value and value.isprintable() and value.strip() == value else repr(value)
    return shown if len(shown) <= 48 else shown[:47] + "…"


def _invalid(role: str, value: str, problem: str) -> InvalidIdentifier:
    return InvalidIdentifier(f"{role} {_show(value)}: {problem}")


def _gs1_key(role: str, value: str, length: int) -> str:
    """A fixed-length GS1 key with the standard mod-10 check digit (weights 3, 1 from the right)."""
    if len(value) != length:
        raise _invalid(role, value, f"must be {length} digits, not {len(value)} characters")
    if not _DIGITS.fullmatch(value):
        raise _invalid(role, value, "must hold only the digits 0-9")
    expected = ean.calc_check_digit(value[:-1])  # GS1 mod-10 over any length, not only EAN-13
    if value[-1] != expected:
        raise _invalid(role, value, f"check digit should be {expected}")
    return value


def validate_gtin(value: str) -> str:
    """Return ``value`` if it is a GTIN-14 with a correct check digit."""
    return _gs1_key("GTIN", value, 14)


def validate_sscc(value: str) -> str:
    """Return ``value`` if it is an SSCC (18 digits) with a correct check digit."""
    return _gs1_key("SSCC", value, 18)


@lru_cache(maxsize=65536)  # actor ids recur in almost every event; the check is costly in stdnum
def validate_uscc(value: str) -> str:
    """Return the upper-case form of a Unified Social Credit Code (GB 32100-2015), check character verified.

    Exactly 18 characters: unlike ``stdnum``, this drops no spaces or hyphens first.
    """
    if len(value) != 18:
        raise _invalid("USCC", value, f"must be 18 characters, not {len(value)}")
    code = value.upper()
    if not (code.isascii() and code.isalnum()):  # stdnum would quietly drop spaces and hyphens
        raise _invalid("USCC", value, "may hold only digits and letters")
    try:
        return stdnum_uscc.validate(code)
    except InvalidChecksum:
        expected = stdnum_uscc.calc_check_digit(code)
        raise _invalid("USCC", value, f"check character should be {expected}") from None
    except ValidationError:
        problem = "first 8 characters must be digits, the rest digits or letters other than I, O, S, V, Z"
        raise _invalid("USCC", value, problem) from None


def _attribute(role: str, value: str) -> str:
    if not 1 <= len(value) <= _MAX_ATTRIBUTE_LENGTH:
        raise _invalid(role, value, f"must be 1 to {_MAX_ATTRIBUTE_LENGTH} characters, not {len(value)}")
    bad = next((c for c in value if c not in _CHARSET_82), None)
    if bad is not None:
        raise _invalid(role, value, f"character {bad!r} is not in GS1 character set 82")
    return value


def validate_lot(value: str) -> str:
    """Return ``value`` if it is a batch/lot number: 1 to 20 characters of GS1 character set 82."""
    return _attribute("lot", value)


def validate_serial(value: str) -> str:
    """Return ``value`` if it is a serial number: 1 to 20 characters of GS1 character set 82."""
    return _attribute("serial", value)


def validate_company_prefix(prefix: str) -> str:
    """Return ``prefix`` if it is a GS1 company prefix: 6 to 12 digits (the lengths GS1 allocates)."""
    if not (6 <= len(prefix) <= 12 and _DIGITS.fullmatch(prefix)):
        raise _invalid("GS1 company prefix", prefix, "must be 6 to 12 digits")
    return prefix


def gtin_has_company_prefix(gtin: str, prefix: str) -> bool:
    """Whether ``gtin`` was allocated under GS1 company ``prefix``.

    A GTIN-14 is an indicator digit, then 12 digits that begin with the company prefix, then the check digit.
    That holds for a GTIN-13 written ``0`` + 13 digits and a GTIN-12 written ``00`` + 12 digits alike, since a
    U.P.C. company's GS1 prefix is ``"0"`` + its U.P.C. prefix (pass ``"0614141"``, not ``"614141"``).
    """
    validate_gtin(gtin)
    validate_company_prefix(prefix)
    return gtin[1:13].startswith(prefix)


@dataclass(frozen=True)
class Subject:
    """What an event is about. Build it with ``parse_subject`` or the ``*_subject`` functions."""

    kind: Literal["batch", "item", "parcel", "actor", "log"]
    path: str  # canonical subject path, e.g. "01/06901234567892/10/XW2026-11"
    gtin: str | None = None
    lot: str | None = None
    serial: str | None = None
    sscc: str | None = None
    carrier: str | None = None
    waybill: str | None = None
    actor_id: str | None = None

    @property
    def batch_path(self) -> str | None:
        """The path of the batch this subject belongs to (itself for a batch); None if not a batch or item."""
        if self.gtin is None or self.lot is None:
            return None
        return _batch_path(self.gtin, self.lot)


def _encode(value: str) -> str:
    return quote(value, safe="")  # leaves exactly A-Z a-z 0-9 - . _ (and ~, which set 82 lacks) literal


def _batch_path(gtin: str, lot: str) -> str:
    return f"01/{gtin}/10/{_encode(lot)}"


def batch_subject(gtin: str, lot: str) -> Subject:
    """The subject of a batch (lot) of a trade item."""
    validate_gtin(gtin)
    validate_lot(lot)
    return Subject("batch", _batch_path(gtin, lot), gtin=gtin, lot=lot)


def item_subject(gtin: str, lot: str, serial: str) -> Subject:
    """The subject of one serialised item of a batch."""
    batch = batch_subject(gtin, lot)
    validate_serial(serial)
    return Subject("item", f"{batch.path}/21/{_encode(serial)}", gtin=gtin, lot=lot, serial=serial)


def parcel_subject(sscc: str) -> Subject:
    """The subject of a parcel (logistic unit) identified by its SSCC."""
    validate_sscc(sscc)
    return Subject("parcel", f"00/{sscc}", sscc=sscc)


def _waybill_subject(carrier: str, waybill: str) -> Subject:
    if not _CARRIER.fullmatch(carrier):
        raise _invalid("carrier", carrier, "must be 2 to 32 characters of a-z, 0-9 and -")
    if not _WAYBILL.fullmatch(waybill):
        raise _invalid("waybill", waybill, "must be 1 to 40 characters of A-Z, a-z, 0-9 and -")
    return Subject("parcel", f"parcel/{carrier}/{waybill}", carrier=carrier, waybill=waybill)


def actor_subject(uscc: str) -> Subject:
    """The subject of an organisation, identified by its Unified Social Credit Code."""
    actor_id = validate_uscc(uscc)
    return Subject("actor", f"actor/{actor_id}", actor_id=actor_id)


def _decode(role: str, segment: str) -> str:
    """Percent-decode one path segment; a lone ``%`` or a character not allowed in a URI path is an error."""
    if not _PATH_SEGMENT.fullmatch(segment):
        raise _invalid(role, segment, "is not a valid URI path segment (percent-encode reserved characters)")
    return unquote(segment)  # undecodable bytes become U+FFFD, which set 82 then rejects


@lru_cache(maxsize=65536)  # subjects recur along a product's history; a Subject is immutable
def parse_subject(path: str) -> Subject:
    """Parse a subject path (a Digital Link path without host, or one of ours) into a canonical Subject."""
    segments = path.split("/")
    if "" in segments:
        raise _invalid("subject path", path, "has an empty segment (leading, trailing or doubled '/')")
    match segments:
        case ["log"]:
            return Subject("log", "log")
        case ["actor", actor_id]:
            return actor_subject(actor_id)
        case ["00", sscc]:
            return parcel_subject(sscc)
        case ["parcel", carrier, waybill]:
            return _waybill_subject(carrier, waybill)
        case ["01", gtin, "10", lot]:
            return batch_subject(gtin, _decode("lot", lot))
        case ["01", gtin, "10", lot, "21", serial]:
            return item_subject(gtin, _decode("lot", lot), _decode("serial", serial))
        case ["01", _, "21", _, "10", _]:
            raise _invalid("subject path", path, "qualifier order: 10 (lot) must come before 21 (serial)")
        case ["01", _, "21", _]:
            raise _invalid("subject path", path, "a serial (21) needs a lot (10) before it")
        case ["01", *_]:
            raise _invalid("subject path", path, "expected 01/<GTIN>/10/<lot>[/21/<serial>]")
        case _:
            raise _invalid("subject path", path, f"unknown form; expected {_SUBJECT_FORMS}")


@dataclass(frozen=True)
class DigitalLink:
    """A GS1 Digital Link URI as printed in a QR code: a subject, and optionally an expiry date (AI 17)."""

    subject: Subject
    expiry: str | None = None  # YYMMDD


def expiry_date(value: str) -> date:
    """The date a YYMMDD expiry (AI 17) stands for; ``InvalidIdentifier`` when it is no date. DD ``00`` means the
    month's last day (GS1 General Specifications).

    Leap years are those of 20YY: what GS1's sliding-window century rule gives for every date until 2050.
    """
    if len(value) != 6 or not _DIGITS.fullmatch(value):
        raise _invalid("expiry", value, "must be YYMMDD (6 digits)")
    year, month, day = 2000 + int(value[:2]), int(value[2:4]), int(value[4:])
    if not 1 <= month <= 12:
        raise _invalid("expiry", value, f"month {value[2:4]} does not exist")
    try:
        return date(year, month, day or calendar.monthrange(year, month)[1])
    except ValueError:
        raise _invalid("expiry", value, f"{year}-{value[2:4]} has no day {value[4:]}") from None


def _check_link_parts(subject: Subject, expiry: str | None) -> None:
    if subject.gtin is None and subject.sscc is None:
        raise _invalid("Digital Link subject", subject.path, "only GTIN and SSCC subjects have one")
    if expiry is not None:
        expiry_date(expiry)
        if subject.gtin is None:
            raise _invalid("Digital Link subject", subject.path, "an expiry date (17) belongs only to a GTIN")


def _check_uri_text(role: str, value: str, allow_http: bool) -> str:
    """The scheme ``value`` starts with: https://, or http:// only where ``allow_http`` (a test or demo portal)."""
    # urlsplit silently drops tabs and newlines and trims spaces: refuse them before it can.
    if not _PRINTABLE_ASCII.fullmatch(value):
        raise _invalid(role, value, "must be printable ASCII without spaces")
    if allow_http and value.startswith("http://"):
        return "http://"
    if not value.startswith("https://"):
        raise _invalid(role, value, "must start with https://")
    return "https://"


def parse_digital_link(uri: str, *, allow_http: bool = False) -> DigitalLink:
    """Parse ``https://<host>/<subject path>[?17=YYMMDD]`` (``http://`` too where ``allow_http``); anything more
    is rejected, not ignored."""
    _check_uri_text("Digital Link", uri, allow_http)
    parts = urlsplit(uri)
    if not _HOST.fullmatch(parts.netloc):
        raise _invalid("Digital Link", uri, "needs a plain host name (and optional port) after https://")
    if "#" in uri:
        raise _invalid("Digital Link", uri, "must not have a fragment")
    expiry: str | None = None
    if "?" in uri:
        match = re.fullmatch(r"17=([^&]*)", parts.query)
        if match is None:
            raise _invalid("Digital Link", uri, "the only query allowed is ?17=YYMMDD (expiry date)")
        expiry = match.group(1)
    subject = parse_subject(parts.path.removeprefix("/"))
    _check_link_parts(subject, expiry)
    return DigitalLink(subject, expiry)


def build_digital_link(base_url: str, subject: Subject, expiry: str | None = None, *, allow_http: bool = False) -> str:
    """The Digital Link of ``subject`` under ``base_url`` (``https://<host>[:port]``, final ``/`` allowed;
    ``http://`` too where ``allow_http``)."""
    scheme = _check_uri_text("base URL", base_url, allow_http)
    host = base_url.removeprefix(scheme).removesuffix("/")
    if not _HOST.fullmatch(host):
        raise _invalid("base URL", base_url, "must be https://<host>[:port], with no path, query or fragment")
    _check_link_parts(subject, expiry)
    query = "" if expiry is None else f"?17={expiry}"
    return f"{scheme}{host}/{subject.path}{query}"
