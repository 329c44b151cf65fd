"""Digital Links for labels: built from a batch's identifiers, parsed back, cross-checked by biip, and their HRI."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import InvalidIdentifier
from ledger.identifiers import parse_digital_link
from qr import batch_link, item_link, parcel_link, parse_link
from tests.strategies import expiry_dates, gs1_attribute_values, gtins, ssccs

PORTAL = "https://trace.qujing.example"
GTIN = "06901230000010"


def test_an_item_link_and_its_human_readable_text() -> None:
    link = item_link(PORTAL, GTIN, "XW2026-11", "0001")
    assert link.uri == "https://trace.qujing.example/01/06901230000010/10/XW2026-11/21/0001"
    assert link.hri == "(01) 06901230000010 (10) XW2026-11 (21) 0001"
    assert link.hri_lines == ("(01) 06901230000010", "(10) XW2026-11", "(21) 0001")
    assert link.element_strings == (("01", GTIN), ("10", "XW2026-11"), ("21", "0001"))
    assert link.link.subject.path == "01/06901230000010/10/XW2026-11/21/0001"


def test_an_expiry_goes_in_the_query_and_the_text() -> None:
    link = item_link(PORTAL + "/", GTIN, "XW2026-11", "0001", "271130")
    assert link.uri == "https://trace.qujing.example/01/06901230000010/10/XW2026-11/21/0001?17=271130"
    assert link.hri.endswith("(21) 0001 (17) 271130")
    assert link.link.expiry == "271130"


def test_batch_and_parcel_links() -> None:
    assert batch_link(PORTAL, GTIN, "A/B").uri == f"{PORTAL}/01/{GTIN}/10/A%2FB"
    assert batch_link(PORTAL, GTIN, "A/B").hri == f"(01) {GTIN} (10) A/B"  # the text shows the lot as it is
    parcel = parcel_link("https://trace.example:8443", "069012300000000010")
    assert parcel.uri == "https://trace.example:8443/00/069012300000000010"
    assert parcel.hri == "(00) 069012300000000010"


@given(
    gtin=gtins(),
    lot=gs1_attribute_values(),
    serial=st.none() | gs1_attribute_values(),
    expiry=st.none() | expiry_dates(),
)
def test_build_then_parse_gives_back_every_identifier(
    gtin: str, lot: str, serial: str | None, expiry: str | None
) -> None:
    built = batch_link(PORTAL, gtin, lot, expiry) if serial is None else item_link(PORTAL, gtin, lot, serial, expiry)
    parsed = parse_link(built.uri)
    assert parsed == built
    subject = parsed.link.subject
    assert (subject.gtin, subject.lot, subject.serial, parsed.link.expiry) == (gtin, lot, serial, expiry)
    assert parse_digital_link(built.uri) == parsed.link  # the one parser of the project agrees
    expected = [("01", gtin), ("10", lot)] + ([("21", serial)] if serial else []) + ([("17", expiry)] if expiry else [])
    assert list(parsed.element_strings) == expected
    assert parsed.hri == " ".join(f"({ai}) {value}" for ai, value in expected)


@given(sscc=ssccs())
def test_parcel_links_round_trip(sscc: str) -> None:
    built = parcel_link(PORTAL, sscc)
    assert parse_link(built.uri).element_strings == (("00", sscc),)


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda: item_link(PORTAL, "06901230000011", "L1", "1"), "check digit should be 0"),
        (lambda: item_link(PORTAL, "0690123000001", "L1", "1"), "must be 14 digits"),
        (lambda: item_link(PORTAL, GTIN, "L" * 21, "1"), "1 to 20 characters"),
        (lambda: item_link(PORTAL, GTIN, "L1", "火腿"), "not in GS1 character set 82"),
        (lambda: item_link(PORTAL, GTIN, "L1", ""), "1 to 20 characters"),
        (lambda: item_link(PORTAL, GTIN, "L1", "1", "271301"), "month 13 does not exist"),
        (lambda: item_link(PORTAL, GTIN, "L1", "1", "2711"), "YYMMDD"),
        (lambda: item_link("http://trace.example", GTIN, "L1", "1"), "must start with https://"),
        (lambda: item_link("https://trace.example/portal", GTIN, "L1", "1"), "no path"),
        (lambda: parse_link(f"{PORTAL}/01/{GTIN}/10/L1?17=271130&x=1"), "only query allowed"),
        (lambda: parse_link(f"{PORTAL}/01/06901230000017/10/L1"), "check digit should be 0"),
        (lambda: parse_link(f"{PORTAL}/actor/91110000600037341L"), "only GTIN and SSCC subjects"),
    ],
)
def test_bad_identifiers_are_refused_with_a_reason(make: Callable[[], object], says: str) -> None:
    with pytest.raises(InvalidIdentifier, match=says):
        make()
