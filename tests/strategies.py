"""Hypothesis strategies shared by the test suite, one titled section per subject."""

from __future__ import annotations

from hypothesis import strategies as st

# ---------------------------------------------------------------------------------------------------------
# Merkle trees (ledger.log.merkle)
# ---------------------------------------------------------------------------------------------------------

MAX_MERKLE_LEAVES = 300


def merkle_entries(min_size: int = 0, max_size: int = MAX_MERKLE_LEAVES) -> st.SearchStrategy[list[bytes]]:
    """Raw log entries (not yet leaf-hashed): short and often equal, as duplicates must not confuse a tree."""
    # The length is drawn uniformly: left to st.lists, lists of hundreds of entries would almost never occur.
    return st.integers(min_size, max_size).flatmap(
        lambda size: st.lists(st.binary(max_size=8), min_size=size, max_size=size)
    )


@st.composite
def merkle_inclusion_cases(draw: st.DrawFn) -> tuple[list[bytes], int, int]:
    """``(entries, index, size)`` with ``0 <= index < size <= len(entries)``."""
    entries = draw(merkle_entries(min_size=1))
    size = draw(st.integers(1, len(entries)))
    return entries, draw(st.integers(0, size - 1)), size


@st.composite
def merkle_consistency_cases(draw: st.DrawFn) -> tuple[list[bytes], int, int]:
    """``(entries, old_size, new_size)`` with ``0 < old_size <= new_size <= len(entries)``."""
    entries = draw(merkle_entries(min_size=1))
    new_size = draw(st.integers(1, len(entries)))
    return entries, draw(st.integers(1, new_size)), new_size


# --- identifiers ---
# GS1 keys, lots and serials, USCCs, waybills and expiry dates (ledger.identifiers). The check digit and check
# character are computed here from the standards, independently of the code under test.

GS1_CHARSET_82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
#: The characters of set 82 that GS1 Digital Link writes percent-encoded in a URI path.
GS1_MUST_PERCENT_ENCODE = "!\"%&'()*+,/:;<=>?"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015: no I, O, S, V, Z


def gs1_check_digit(payload: str) -> str:
    """GS1 mod-10: weights 3, 1, 3, ... from the rightmost payload digit."""
    total = sum(int(digit) * (3 if i % 2 == 0 else 1) for i, digit in enumerate(reversed(payload)))
    return str(-total % 10)


def gs1_payloads(length: int) -> st.SearchStrategy[str]:
    """``length`` random digits: a GS1 key without its check digit."""
    return st.text(alphabet="0123456789", min_size=length, max_size=length)


def gtins() -> st.SearchStrategy[str]:
    """Valid GTIN-14s."""
    return gs1_payloads(13).map(lambda payload: payload + gs1_check_digit(payload))


def ssccs() -> st.SearchStrategy[str]:
    """Valid SSCCs (18 digits)."""
    return gs1_payloads(17).map(lambda payload: payload + gs1_check_digit(payload))


def gs1_attribute_values() -> st.SearchStrategy[str]:
    """Valid lots or serials (1-20 characters of set 82), often holding a character to percent-encode."""
    plain = st.text(alphabet=GS1_CHARSET_82, min_size=1, max_size=20)
    awkward = st.tuples(
        st.text(alphabet=GS1_CHARSET_82, max_size=10),
        st.sampled_from(GS1_MUST_PERCENT_ENCODE),
        st.text(alphabet=GS1_CHARSET_82, max_size=9),
    ).map("".join)
    return st.one_of(plain, awkward)


def uscc_check_character(first17: str) -> str:
    """GB 32100-2015: weights 3^i mod 31 over the first 17 characters; check = (31 - sum mod 31) mod 31."""
    total = sum(USCC_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return USCC_ALPHABET[-total % 31]


def usccs() -> st.SearchStrategy[str]:
    """Valid Unified Social Credit Codes: 8 digits, 9 code characters, the check character."""
    body = st.tuples(
        st.text(alphabet="0123456789", min_size=8, max_size=8),
        st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9),
    ).map("".join)
    return body.map(lambda first17: first17 + uscc_check_character(first17))


def carriers() -> st.SearchStrategy[str]:
    return st.from_regex(r"[a-z0-9-]{2,32}", fullmatch=True)


def waybills() -> st.SearchStrategy[str]:
    return st.from_regex(r"[A-Za-z0-9-]{1,40}", fullmatch=True)


_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@st.composite
def expiry_dates(draw: st.DrawFn) -> str:
    """Valid YYMMDD expiry dates of 2000-2099, including DD = 00 (end of month)."""
    year, month = draw(st.integers(0, 99)), draw(st.integers(1, 12))
    last_day = 29 if month == 2 and year % 4 == 0 else _DAYS_IN_MONTH[month - 1]
    return f"{year:02d}{month:02d}{draw(st.integers(0, last_day)):02d}"


# ---------------------------------------------------------------------------------------------------------
# Signed JSON documents (ledger.events.canonical)
# ---------------------------------------------------------------------------------------------------------

#: Text drawn from everywhere, weighted towards Chinese, controls and characters JSON must escape.
json_text = st.one_of(
    st.text(),
    st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=12),
    st.text(st.sampled_from('\u0000\u0007\b\t\n\f\r\u001f"\\/\u007f\u2028€宣威火腿 ')),
)
#: Object keys stay in the Basic Multilingual Plane (no lone surrogates), where code-point order is JCS order.
json_keys = st.text(st.characters(max_codepoint=0xFFFF, codec="utf-8"), max_size=8)


def signed_json_documents() -> st.SearchStrategy[object]:
    """JSON values allowed in signed documents: no floats, integers within +-(2^53-1)."""
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(-(2**53 - 1), 2**53 - 1)
        | json_text.filter(lambda s: not any(0xD800 <= ord(c) <= 0xDFFF for c in s))
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=5) | st.dictionaries(json_keys, inner, max_size=5),
        max_leaves=25,
    )


# ---------------------------------------------------------------------------------------------------------
# tlog-witness add-checkpoint requests (ledger.log.witness_protocol)
# ---------------------------------------------------------------------------------------------------------


@st.composite
def add_checkpoint_parts(draw: st.DrawFn) -> tuple[int, list[bytes], str]:
    """``(old_size, proof, note)``: any u63 size, 0 to 63 hashes, and note-like text (its syntax is not checked)."""
    old_size = draw(st.integers(0, 2**63 - 1))
    proof = draw(st.lists(st.binary(min_size=32, max_size=32), max_size=63))
    note = draw(st.text(st.characters(codec="utf-8", exclude_characters="\r"), max_size=80))
    return old_size, proof, note


# ---------------------------------------------------------------------------------------------------------
# The rules (ledger.rules): plain plans that the rules tests turn into signed events
# ---------------------------------------------------------------------------------------------------------


def company_prefixes(min_size: int = 6, max_size: int = 12) -> st.SearchStrategy[str]:
    """GS1 company prefixes: 6 to 12 digits."""
    return st.text(alphabet="0123456789", min_size=min_size, max_size=max_size)


@st.composite
def company_prefix_pairs(draw: st.DrawFn) -> tuple[str, str]:
    """``(held, claimed)``: two company prefixes that are often equal, or one a leading part of the other."""
    held = draw(company_prefixes())
    relation = draw(st.sampled_from(["equal", "shorter", "longer", "sibling", "unrelated"]))
    if relation == "equal":
        return held, held
    if relation == "shorter" and len(held) > 6:
        return held, held[: draw(st.integers(6, len(held) - 1))]
    if relation == "longer" and len(held) < 12:
        return held, held + draw(company_prefixes(1, 12 - len(held)))
    if relation == "sibling":  # the same length, differing in the last digit
        return held, held[:-1] + str((int(held[-1]) + draw(st.integers(1, 9))) % 10)
    return held, draw(company_prefixes())


#: Where a parcel of the rules tests goes: left with a courier, delivered to a merchant, signed for by a consumer,
#: or refused by the consumer and carried back to the producer.
PARCEL_ROUTES = ("in transit", "to merchant", "signed", "refused and returned")
ParcelPlan = tuple[int, str]  # (quantity, route)


def parcel_plans() -> st.SearchStrategy[list[ParcelPlan]]:
    """Up to 8 parcels drawn from one batch of 100, together often more than it holds."""
    return st.lists(st.tuples(st.integers(1, 30), st.sampled_from(PARCEL_ROUTES)), max_size=8)


def clock_offsets() -> st.SearchStrategy[int]:
    """A signer's claimed time minus the log time, in seconds: anywhere from 8 days before to 10 minutes after, and
    often right at either bound of what is allowed (7 days before, 5 minutes after) or one second past it."""
    week, five_minutes = 7 * 24 * 3600, 5 * 60
    bounds = st.sampled_from([-week - 1, -week, -week + 1, five_minutes - 1, five_minutes, five_minutes + 1])
    return st.one_of(bounds, st.integers(-week - 24 * 3600, 2 * five_minutes))
