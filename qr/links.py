"""GS1 Digital Links as printed on labels: build them, parse them back, and read their GS1 element strings.

The URI grammar is ``ledger.identifiers``' (one parser for the whole project); ``biip``, an independent GS1
implementation, then reads the same URI as GS1 element strings. A link is accepted only when both agree, and
biip's reading gives the human-readable interpretation printed under the code, e.g.
``(01) 06901230000010 (10) XW2026-11 (21) 0001``.
"""

from __future__ import annotations

from dataclasses import dataclass

from biip import ParseError
from biip.gs1_digital_link_uris import GS1DigitalLinkURI

from ledger.errors import InvalidIdentifier
from ledger.identifiers import (
    DigitalLink,
    batch_subject,
    build_digital_link,
    item_subject,
    parcel_subject,
    parse_digital_link,
)

__all__ = ["LabelLink", "batch_link", "item_link", "parcel_link", "parse_link"]


@dataclass(frozen=True)
class LabelLink:
    """A validated Digital Link: its URI, what it identifies, and its GS1 element strings in URI order."""

    uri: str
    link: DigitalLink
    element_strings: tuple[tuple[str, str], ...]  # (AI, value), e.g. ("01", "06901230000010")

    @property
    def hri(self) -> str:
        """The human-readable interpretation on one line: ``(01) 06901230000010 (10) XW2026-11``."""
        return " ".join(self.hri_lines)

    @property
    def hri_lines(self) -> tuple[str, ...]:
        """One ``(AI) value`` per element string, for labels that print them stacked."""
        return tuple(f"({ai}) {value}" for ai, value in self.element_strings)


def _expected(link: DigitalLink) -> tuple[tuple[str, str], ...]:
    """The element strings a link must hold, from our own parse, in Digital Link order (path, then query)."""
    subject = link.subject
    if subject.sscc is not None:
        return (("00", subject.sscc),)
    assert subject.gtin is not None
    assert subject.lot is not None
    pairs = [("01", subject.gtin), ("10", subject.lot)]
    if subject.serial is not None:
        pairs.append(("21", subject.serial))
    if link.expiry is not None:
        pairs.append(("17", link.expiry))
    return tuple(pairs)


def parse_link(uri: str, *, allow_http: bool = False) -> LabelLink:
    """Parse and validate a label's Digital Link; ``InvalidIdentifier`` names what is wrong with it."""
    link = parse_digital_link(uri, allow_http=allow_http)
    try:
        read = GS1DigitalLinkURI.parse(uri)
    except ParseError as exc:
        raise InvalidIdentifier(f"Digital Link {uri}: not a GS1 Digital Link: {exc}") from None
    for element in read.element_strings:
        error = element.gtin_error or element.sscc_error  # biip reports bad check digits here, without raising
        if error:
            raise InvalidIdentifier(f"Digital Link {uri}: {error}")
    pairs = tuple((element.ai.ai, element.value) for element in read.element_strings)
    expected = _expected(link)
    if pairs != expected:
        raise InvalidIdentifier(f"Digital Link {uri}: read as {pairs} by biip, but as {expected} by traceledger")
    return LabelLink(uri, link, pairs)


def item_link(
    base_url: str, gtin: str, lot: str, serial: str, expiry: str | None = None, *, allow_http: bool = False
) -> LabelLink:
    """The Digital Link of one serialised item: ``https://<host>/01/<gtin>/10/<lot>/21/<serial>[?17=YYMMDD]``."""
    uri = build_digital_link(base_url, item_subject(gtin, lot, serial), expiry, allow_http=allow_http)
    return parse_link(uri, allow_http=allow_http)


def batch_link(base_url: str, gtin: str, lot: str, expiry: str | None = None) -> LabelLink:
    """The Digital Link of a batch (lot): ``https://<host>/01/<gtin>/10/<lot>[?17=YYMMDD]``."""
    return parse_link(build_digital_link(base_url, batch_subject(gtin, lot), expiry))


def parcel_link(base_url: str, sscc: str) -> LabelLink:
    """The Digital Link of a parcel: ``https://<host>/00/<sscc>``."""
    return parse_link(build_digital_link(base_url, parcel_subject(sscc)))
