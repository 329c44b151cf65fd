"""Tests of ledger.identifiers: the shared vectors, the standards as properties, biip as a second reader."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import pytest
from biip.gs1_application_identifiers import GS1ApplicationIdentifier
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import InvalidIdentifier
from ledger.identifiers import (
    DigitalLink,
    Subject,
    actor_subject,
    batch_subject,
    build_digital_link,
    expiry_date,
    gtin_has_company_prefix,
    item_subject,
    parcel_subject,
    parse_digital_link,
    parse_subject,
    validate_company_prefix,
    validate_gtin,
    validate_lot,
    validate_serial,
    validate_sscc,
    validate_uscc,
)
from tests.strategies import (
    GS1_CHARSET_82,
    GS1_MUST_PERCENT_ENCODE,
    carriers,
    expiry_dates,
    gs1_attribute_values,
    gs1_check_digit,
    gs1_payloads,
    gtins,
    ssccs,
    uscc_check_character,
    usccs,
    waybills,
)
from tests.vectors import SHARED_VECTORS

VECTORS_PATH = SHARED_VECTORS / "identifiers.json"
VECTORS: dict[str, Any] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))

VALIDATORS: dict[str, tuple[str, Callable[[str], str]]] = {
    "gtin": ("GTIN", validate_gtin),
    "sscc": ("SSCC", validate_sscc),
    "uscc": ("USCC", validate_uscc),
}
LINK_FIELDS = ("gtin", "lot", "serial", "sscc", "expiry")
GTIN = "06901234567892"
SSCC = "069012340000000016"
USCC = "91110000600037341L"
BASE = "https://trace.example.org"
# A canonical path: letters, digits, "-", ".", "_" and "/" literal, everything else as %XX in upper-case hex.
CANONICAL_PATH = re.compile(r"(?:[A-Za-z0-9._/-]|%[0-9A-F]{2})+")
PCHAR_LITERALS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@")


def _rejected(call: Callable[[], object], role: str) -> str:
    """Require ``call`` to raise InvalidIdentifier with a one-line message naming ``role``; return it."""
    with pytest.raises(InvalidIdentifier) as excinfo:
        call()
    message = str(excinfo.value)
    assert message.startswith(f"{role} "), message
    assert "\n" not in message
    return message


def _accepts(validate: Callable[[str], str], value: str) -> bool:
    try:
        validate(value)
    except InvalidIdentifier:
        return False
    return True


# --- the shared vectors, read in place ---


def test_vectors_file_resolves() -> None:
    assert VECTORS_PATH.is_file(), f"shared vectors not found at {VECTORS_PATH}"
    assert {*VALIDATORS, "digital_link"} <= VECTORS.keys()


@pytest.mark.parametrize(
    ("section", "value"), [(section, value) for section in VALIDATORS for value in VECTORS[section]["valid"]]
)
def test_valid_vector(section: str, value: str) -> None:
    _, validate = VALIDATORS[section]
    assert validate(value) == value


@pytest.mark.parametrize(
    ("section", "case"),
    [(section, case) for section in VALIDATORS for case in VECTORS[section]["invalid"]],
    ids=lambda case: case["value"] if isinstance(case, dict) else str(case),
)
def test_invalid_vector(section: str, case: dict[str, str]) -> None:
    role, validate = VALIDATORS[section]
    message = _rejected(lambda: validate(case["value"]), role)
    assert message.startswith(f"{role} {case['value']}: ")
    if expected := re.search(r"expected (\w)\)", case["why"]):
        assert message.endswith(f"should be {expected.group(1)}")


@pytest.mark.parametrize("case", VECTORS["digital_link"]["valid"], ids=lambda case: case["uri"])
def test_valid_digital_link_vector(case: dict[str, str]) -> None:
    assert set(case) - {"uri"} <= set(LINK_FIELDS), "a listed field this test would not check"
    link = parse_digital_link(case["uri"])
    parsed = {name: getattr(link.subject, name) for name in LINK_FIELDS[:-1]} | {"expiry": link.expiry}
    assert parsed == {name: case.get(name) for name in LINK_FIELDS}
    host = urlsplit(case["uri"]).netloc
    assert build_digital_link(f"https://{host}", link.subject, link.expiry) == case["uri"]


@pytest.mark.parametrize("case", VECTORS["digital_link"]["invalid"], ids=lambda case: case["why"])
def test_invalid_digital_link_vector(case: dict[str, str]) -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        parse_digital_link(case["uri"])
    assert "\n" not in str(excinfo.value)


# --- GS1 keys ---


def _check_digit_property(validate: Callable[[str], str], payload: str) -> None:
    check = gs1_check_digit(payload)
    assert validate(payload + check) == payload + check
    for wrong in set("0123456789") - {check}:
        with pytest.raises(InvalidIdentifier, match=f"check digit should be {check}$"):
            validate(payload + wrong)


@given(gs1_payloads(13))
def test_gtin_check_digit(payload: str) -> None:
    _check_digit_property(validate_gtin, payload)


@given(gs1_payloads(17))
def test_sscc_check_digit(payload: str) -> None:
    _check_digit_property(validate_sscc, payload)


@pytest.mark.parametrize(
    ("validate", "role", "value"),
    [
        (validate_gtin, "GTIN", ""),
        (validate_gtin, "GTIN", "6901234567892"),  # GTIN-13: write it as 0 + 13 digits
        (validate_gtin, "GTIN", "006901234567892"),
        (validate_gtin, "GTIN", " 6901234567892"),
        (validate_gtin, "GTIN", "0690123456789\N{SUPERSCRIPT TWO}"),  # str.isdigit() would accept it
        (validate_gtin, "GTIN", "0690123456789\N{ARABIC-INDIC DIGIT TWO}"),
        (validate_sscc, "SSCC", "06901234000000001"),
        (validate_sscc, "SSCC", "06901234000000001\n"),
    ],
)
def test_malformed_gs1_keys(validate: Callable[[str], str], role: str, value: str) -> None:
    _rejected(lambda: validate(value), role)


# --- USCC ---


@given(usccs())
def test_uscc_check_character(code: str) -> None:
    assert validate_uscc(code) == code
    assert validate_uscc(code.lower()) == code
    for wrong in set("0123456789ABCDEFGHJKLMNPQRTUWXY") - {code[-1]}:
        with pytest.raises(InvalidIdentifier, match=f"check character should be {code[-1]}$"):
            validate_uscc(code[:-1] + wrong)


def test_uscc_check_character_agrees_with_vectors() -> None:
    for code in VECTORS["uscc"]["valid"]:
        assert uscc_check_character(code[:17]) == code[17]


@pytest.mark.parametrize(
    "value",
    [
        "",
        " 91110000600037341L",
        "91110000600037341L ",
        "9111 000060003734L",  # 18 characters; stdnum alone would drop the space
        "9111-000060003734L",
        "91110000600037341O",
        "A1110000600037341L",  # stdnum's rule: the first 8 characters are digits
        "9111000060003734\N{FULLWIDTH DIGIT ONE}L",
    ],
)
def test_malformed_usccs(value: str) -> None:
    _rejected(lambda: validate_uscc(value), "USCC")


# --- lots and serials ---


def test_charset_82_is_gs1s() -> None:
    """Set 82 as the strategies write it, as biip's AI 10 pattern has it, and as validate_lot accepts it."""
    assert len(set(GS1_CHARSET_82)) == 82
    lot_pattern = GS1ApplicationIdentifier.extract("10").pattern
    ascii_chars = [chr(code) for code in range(128)]
    assert {c for c in ascii_chars if re.fullmatch(lot_pattern, f"10{c}")} == set(GS1_CHARSET_82)
    assert {c for c in ascii_chars if _accepts(validate_lot, c)} == set(GS1_CHARSET_82)


@pytest.mark.parametrize(("validate", "role"), [(validate_lot, "lot"), (validate_serial, "serial")])
@given(value=gs1_attribute_values())
def test_lot_and_serial_accept_set_82(validate: Callable[[str], str], role: str, value: str) -> None:
    assert validate(value) == value


@pytest.mark.parametrize(("validate", "role"), [(validate_lot, "lot"), (validate_serial, "serial")])
@pytest.mark.parametrize("value", ["", "A" * 21, "A#1", "A 1", "A~1", "Ä1", "A\t", "批次1"])
def test_lot_and_serial_reject(validate: Callable[[str], str], role: str, value: str) -> None:
    _rejected(lambda: validate(value), role)


@given(value=gs1_attribute_values(), bad=st.characters().filter(lambda c: c not in GS1_CHARSET_82))
def test_lot_rejects_any_character_outside_set_82(value: str, bad: str) -> None:
    _rejected(lambda: validate_lot(value[:19] + bad), "lot")


# --- company prefixes ---


@pytest.mark.parametrize(
    ("gtin", "prefix", "owned"),
    [
        (GTIN, "690123", True),
        (GTIN, "6901234", True),
        (GTIN, "690123456789", True),  # a 12-digit prefix owns exactly one GTIN-13 body
        (GTIN, "6901235", False),
        (GTIN, "069012", False),  # the indicator digit is not part of the prefix
        ("16901234567899", "6901234", True),  # indicator 1: a case of the same company's item
        ("00614141123452", "0614141", True),  # GTIN-12 (UPC): the GS1 form of U.P.C. prefix 614141
        ("00614141123452", "614141", False),  # ... not the bare U.P.C. prefix
        ("10614141123459", "0614141", True),
        ("09506000134352", "95060001343", True),
    ],
)
def test_company_prefix_ownership(gtin: str, prefix: str, owned: bool) -> None:
    assert gtin_has_company_prefix(gtin, prefix) is owned


@given(gtin=gtins(), length=st.integers(6, 12))
def test_company_prefix_ownership_property(gtin: str, length: int) -> None:
    prefix = gtin[1 : 1 + length]
    assert gtin_has_company_prefix(gtin, prefix)
    other = prefix[:-1] + str((int(prefix[-1]) + 1) % 10)
    assert not gtin_has_company_prefix(gtin, other)


@pytest.mark.parametrize("prefix", ["", "69012", "6901234567890", "69012a", "690 123", "690123\n"])
def test_invalid_company_prefix(prefix: str) -> None:
    _rejected(lambda: validate_company_prefix(prefix), "GS1 company prefix")
    _rejected(lambda: gtin_has_company_prefix(GTIN, prefix), "GS1 company prefix")


def test_company_prefix_of_invalid_gtin() -> None:
    assert validate_company_prefix("690123") == "690123"
    _rejected(lambda: gtin_has_company_prefix("06901234567893", "690123"), "GTIN")


# --- subjects ---


def gs1_subjects() -> st.SearchStrategy[Subject]:
    return st.one_of(
        st.builds(batch_subject, gtins(), gs1_attribute_values()),
        st.builds(item_subject, gtins(), gs1_attribute_values(), gs1_attribute_values()),
        st.builds(parcel_subject, ssccs()),
    )


def subjects() -> st.SearchStrategy[Subject]:
    return st.one_of(
        gs1_subjects(),
        st.builds("parcel/{}/{}".format, carriers(), waybills()).map(parse_subject),
        st.builds(actor_subject, usccs()),
        st.just(parse_subject("log")),
    )


@given(subjects())
def test_subject_path_round_trip(subject: Subject) -> None:
    assert parse_subject(subject.path) == subject
    assert CANONICAL_PATH.fullmatch(subject.path)
    escaped = {chr(int(code, 16)) for code in re.findall(r"%([0-9A-F]{2})", subject.path)}
    assert escaped <= set(GS1_MUST_PERCENT_ENCODE), "encoded a character that may stay literal"


def _respell(value: str, draw: Callable[[st.SearchStrategy[str]], str]) -> str:
    """Another valid spelling of ``value`` in a path segment: each character literal where RFC 3986 allows it,
    or percent-encoded in either case."""
    spellings = [[f"%{ord(c):02X}", f"%{ord(c):02x}"] + ([c] if c in PCHAR_LITERALS else []) for c in value]
    return "".join(draw(st.sampled_from(options)) for options in spellings)


@given(gtin=gtins(), lot=gs1_attribute_values(), serial=gs1_attribute_values(), data=st.data())
def test_parse_accepts_any_valid_spelling(gtin: str, lot: str, serial: str, data: st.DataObject) -> None:
    path = f"01/{gtin}/10/{_respell(lot, data.draw)}/21/{_respell(serial, data.draw)}"
    assert parse_subject(path) == item_subject(gtin, lot, serial)


@pytest.mark.parametrize(
    ("path", "lot", "canonical"),
    [
        ("A&B", "A&B", "A%26B"),
        ("A%2fB", "A/B", "A%2FB"),
        ("%41%2D%2e_", "A-._", "A-._"),
        ("100%25", "100%", "100%25"),
        ("a+b", "a+b", "a%2Bb"),  # "+" is a plus in a path, never a space
    ],
)
def test_parse_canonicalises(path: str, lot: str, canonical: str) -> None:
    subject = parse_subject(f"01/{GTIN}/10/{path}")
    assert subject.lot == lot
    assert subject.path == f"01/{GTIN}/10/{canonical}"


def test_subject_fields() -> None:
    item = item_subject(GTIN, "L/1", "S1")
    assert (item.kind, item.gtin, item.lot, item.serial) == ("item", GTIN, "L/1", "S1")
    assert item.batch_path == batch_subject(GTIN, "L/1").path == f"01/{GTIN}/10/L%2F1"
    assert batch_subject(GTIN, "L1").batch_path == f"01/{GTIN}/10/L1"
    assert parcel_subject(SSCC) == Subject("parcel", f"00/{SSCC}", sscc=SSCC)
    assert parse_subject("parcel/sf-express/SF1234567890") == Subject(
        "parcel", "parcel/sf-express/SF1234567890", carrier="sf-express", waybill="SF1234567890"
    )
    assert actor_subject(USCC.lower()) == Subject("actor", f"actor/{USCC}", actor_id=USCC)
    assert parse_subject(f"actor/{USCC.lower()}").path == f"actor/{USCC}"
    assert parse_subject("log") == Subject("log", "log")
    for other in (parcel_subject(SSCC), actor_subject(USCC), parse_subject("log")):
        assert other.batch_path is None


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/",
        "log/",
        "/log",
        "LOG",
        "logs",
        "unknown/x",
        f"01/{GTIN}",  # we always need the lot
        f"01/{GTIN}/10",
        f"01/{GTIN}/10/",
        f"/01/{GTIN}/10/L1",
        f"01/{GTIN}/10/L1/",
        f"01//{GTIN}/10/L1",
        f"01/{GTIN}/10//21/S1",
        f"01/{GTIN}/21/S1",  # a serial without its lot
        f"01/{GTIN}/21/S1/10/L1",  # qualifier order
        f"01/{GTIN}/10/L1/21",
        f"01/{GTIN}/10/L1/21/S1/21/S2",
        f"01/{GTIN}/10/L1/10/L2",
        f"01/{GTIN}/22/V1/10/L1",  # consumer product variant: not a subject of ours
        f"01/{GTIN}/lot/L1",  # Digital Link's alphabetic keys are not accepted
        f"gtin/{GTIN}/10/L1",
        "01/6901234567892/10/L1",  # GTIN-13
        "01/06901234567893/10/L1",  # check digit
        f"01/{GTIN}/10/ABCDEFGHIJKLMNOPQRSTU",
        f"01/{GTIN}/10/A%2",  # a lone "%"
        f"01/{GTIN}/10/A%ZZ",
        f"01/{GTIN}/10/100%",
        f"01/{GTIN}/10/A B",
        f"01/{GTIN}/10/A%20B",
        f'01/{GTIN}/10/A"B',  # set 82, but not literally in a URI
        f"01/{GTIN}/10/A?B",
        f"01/{GTIN}/10/A#B",
        f"01/{GTIN}/10/%7E",  # "~": not in set 82
        f"01/{GTIN}/10/%C3%A9",
        f"01/{GTIN}/10/%FF",
        f"01/{GTIN}/10/L1/21/S%2",
        "00/069012340000000017",
        "00/69012340000000016",
        f"00/{SSCC}/21/S1",
        "parcel/SF/1234",  # carrier is lower-case
        "parcel/s/1234",
        "parcel/" + "c" * 33 + "/1234",
        "parcel/sf/",
        "parcel/sf/12_34",
        "parcel/sf/" + "1" * 41,
        "parcel/sf/12%2D34",
        "parcel/sf",
        "parcel/sf/1/2",
        "actor/91110000600037341X",
        "actor/91110000600037341",
        f"actor/{USCC}/x",
        "actor",
    ],
)
def test_invalid_subject_path(path: str) -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        parse_subject(path)
    assert "\n" not in str(excinfo.value)


def test_subject_path_messages() -> None:
    assert _rejected(lambda: parse_subject(f"01/{GTIN}/21/S1/10/L1"), "subject path").endswith(
        "qualifier order: 10 (lot) must come before 21 (serial)"
    )
    assert "needs a lot" in _rejected(lambda: parse_subject(f"01/{GTIN}/21/S1"), "subject path")
    assert _rejected(lambda: parse_subject("01/06901234567893/10/L1"), "GTIN").endswith("should be 2")
    _rejected(lambda: parse_subject(f"01/{GTIN}/10/A%2"), "lot")
    _rejected(lambda: parse_subject(f"01/{GTIN}/10/L1/21/" + "S" * 21), "serial")
    _rejected(lambda: parse_subject("parcel/SF/1"), "carrier")
    _rejected(lambda: parse_subject("parcel/sf/1_"), "waybill")


# --- Digital Links ---


@given(
    subject=gs1_subjects(),
    expiry=st.none() | expiry_dates(),
    base=st.sampled_from(["https://id.gs1.org", "https://trace.example.org/", "https://localhost:8443"]),
)
def test_digital_link_round_trip(subject: Subject, expiry: str | None, base: str) -> None:
    if subject.gtin is None:
        expiry = None  # an expiry belongs to a GTIN
    uri = build_digital_link(base, subject, expiry)
    assert uri == f"{base.removesuffix('/')}/{subject.path}" + ("" if expiry is None else f"?17={expiry}")
    assert parse_digital_link(uri) == DigitalLink(subject, expiry)


@given(subject=gs1_subjects(), expiry=st.none() | expiry_dates())
def test_biip_reads_our_digital_links(subject: Subject, expiry: str | None) -> None:
    """An independent GS1 implementation reads the same values, and spells the URI exactly as we do."""
    if subject.gtin is None:
        expiry = None
    uri = build_digital_link("https://id.gs1.org", subject, expiry)
    theirs = GS1DigitalLinkURI.parse(uri)
    values = {element.ai.ai: element.value for element in theirs.element_strings}
    expected = {"01": subject.gtin, "10": subject.lot, "21": subject.serial, "00": subject.sscc, "17": expiry}
    assert values == {ai: value for ai, value in expected.items() if value is not None}
    assert all(element.gtin_error is None for element in theirs.element_strings)  # biip reports, never raises
    assert theirs.as_canonical_uri() == uri


@pytest.mark.parametrize("expiry", ["261231", "261200", "280229", "000229", "990131", "270228", "261130"])
def test_valid_expiry(expiry: str) -> None:
    link = parse_digital_link(f"{BASE}/01/{GTIN}/10/L1?17={expiry}")
    assert link.expiry == expiry


@pytest.mark.parametrize("expiry", ["", "2612", "2612310", "26123a", "261301", "260031", "270229", "261232"])
def test_invalid_expiry(expiry: str) -> None:
    _rejected(lambda: parse_digital_link(f"{BASE}/01/{GTIN}/10/L1?17={expiry}"), "expiry")
    _rejected(lambda: build_digital_link(BASE, batch_subject(GTIN, "L1"), expiry), "expiry")


@pytest.mark.parametrize(
    "uri",
    [
        f"http://trace.example.org/01/{GTIN}/10/L1",
        f"HTTPS://trace.example.org/01/{GTIN}/10/L1",
        f"trace.example.org/01/{GTIN}/10/L1",
        f"https:///01/{GTIN}/10/L1",
        f"https://user@trace.example.org/01/{GTIN}/10/L1",
        f"https://trace.example.org:port/01/{GTIN}/10/L1",
        f"https://trace.example.org/dl/01/{GTIN}/10/L1",  # no path prefix
        "https://trace.example.org",
        "https://trace.example.org/",
        f"https://trace.example.org/01/{GTIN}/10/L1/",
        f"https://trace.example.org/01/{GTIN}/10/L1?",
        f"https://trace.example.org/01/{GTIN}/10/L1#top",
        f"https://trace.example.org/01/{GTIN}/10/L1?17=261231#top",
        f"https://trace.example.org/01/{GTIN}/10/L1?10=L2",
        f"https://trace.example.org/01/{GTIN}/10/L1?17=261231&17=261231",
        f"https://trace.example.org/01/{GTIN}/10/L1?17=261231&utm_source=qr",
        f"https://trace.example.org/01/{GTIN}/10/L1?exp=261231",
        f"https://trace.example.org/00/{SSCC}?17=261231",  # an expiry belongs to a GTIN
        f"https://trace.example.org/actor/{USCC}",  # not a GS1 subject
        "https://trace.example.org/parcel/sf/1234",
        "https://trace.example.org/log",
        f"https://trace.example.org/01/{GTIN}/10/L1\n",  # urlsplit would drop the newline
        f"https://trace.example.org/01/{GTIN}/10/L\t1",
        f" https://trace.example.org/01/{GTIN}/10/L1",
        f"https://trace.example.org/01/{GTIN[1:]}/10/L1",  # Digital Link allows GTIN-13 here; we do not
    ],
)
def test_invalid_digital_link(uri: str) -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        parse_digital_link(uri)
    assert "\n" not in str(excinfo.value)


@pytest.mark.parametrize(
    "base",
    [
        "http://trace.example.org",
        "https://trace.example.org/dl",
        "https://trace.example.org?x=1",
        "https://trace.example.org#x",
        "https://user@trace.example.org",
        "https://",
        "trace.example.org",
    ],
)
def test_invalid_base_url(base: str) -> None:
    _rejected(lambda: build_digital_link(base, batch_subject(GTIN, "L1")), "base URL")


@pytest.mark.parametrize(
    "subject",
    [actor_subject(USCC), parse_subject("parcel/sf/1234"), parse_subject("log")],
    ids=lambda s: s.path,
)
def test_no_digital_link_for_non_gs1_subjects(subject: Subject) -> None:
    _rejected(lambda: build_digital_link(BASE, subject), "Digital Link subject")


@pytest.mark.parametrize(
    ("expiry", "day"),
    [("271130", date(2027, 11, 30)), ("271100", date(2027, 11, 30)), ("280200", date(2028, 2, 29)),
     ("270200", date(2027, 2, 28)), ("991231", date(2099, 12, 31)), ("000101", date(2000, 1, 1))],
)  # fmt: skip
def test_an_expiry_stands_for_a_date_day_00_for_the_months_last(expiry: str, day: date) -> None:
    assert expiry_date(expiry) == day


@given(expiry_dates())
def test_every_valid_expiry_is_a_date_in_its_month(expiry: str) -> None:
    day = expiry_date(expiry)
    assert (day.year % 100, day.month) == (int(expiry[:2]), int(expiry[2:4]))


def test_an_expiry_that_is_no_date_is_refused() -> None:
    assert "has no day 30" in _rejected(lambda: expiry_date("270230"), "expiry")
