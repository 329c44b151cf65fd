"""Tests of C2SP signed notes against the spec's worked example and its format rules."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from signer.errors import NoteError
from signer.keys import SigningKey
from signer.note import (
    COSIGNATURE_TYPE,
    ED25519_TYPE,
    MAX_SIGNATURES,
    CosignatureSigner,
    CosignatureVerifier,
    Note,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    Verifier,
    cosignature_message,
    key_id,
    open_note,
    parse_cosignature,
    parse_note,
    sign_note,
)
from tests.vectors import SHARED_VECTORS

DASH = "\u2014"
TEXT = "traceledger.example/log\n42\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"


def _vectors_dir() -> Path:
    """The shared public test vectors, read in place next to the repository (/work/shared/vectors)."""
    return SHARED_VECTORS


def _vector() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((_vectors_dir() / "signed-note.json").read_text(encoding="utf-8"))
    return data


def _signer(i: int, name: str | None = None) -> NoteSigner:
    return NoteSigner(name or f"signer{i}.example/k", SigningKey.from_seed(i.to_bytes(32, "big")))


SIGNER_A = _signer(1, "a.example/log")
SIGNER_B = _signer(2, "b.example/witness")
MANY = [_signer(i) for i in range(1, MAX_SIGNATURES + 2)]  # 101 distinct keys


def _line(name: str, raw: bytes) -> str:
    return f"{DASH} {name} {base64.b64encode(raw).decode()}\n"


def _flip(raw: bytes, index: int, mask: int = 0x01) -> bytes:
    return raw[:index] + bytes([raw[index] ^ mask]) + raw[index + 1 :]


def _with_signature_bytes(note: str, line_index: int, transform: Callable[[bytes], bytes]) -> str:
    """``note`` with the raw bytes (key id || signature) of one signature line transformed."""
    text, _, block = note.rpartition("\n\n")
    lines = block.splitlines(keepends=True)
    name, encoded = lines[line_index][2:].split(" ")
    lines[line_index] = _line(name, transform(base64.b64decode(encoded)))
    return text + "\n\n" + "".join(lines)


# --- the spec's worked example ------------------------------------------------------------------


def test_vector_vkey_parses_and_key_id_matches() -> None:
    vector = _vector()
    verifier = NoteVerifier.from_vkey(vector["vkey"])
    assert verifier.name == vector["key_name"]
    assert verifier.key_id.hex() == vector["key_id_hex"]
    assert key_id(vector["key_name"], ED25519_TYPE, verifier.public_key).hex() == vector["key_id_hex"]
    assert verifier.vkey == vector["vkey"]


def test_vector_note_verifies_and_round_trips() -> None:
    vector = _vector()
    verifier = NoteVerifier.from_vkey(vector["vkey"])
    note, signed_by = open_note(vector["signed_note"], [verifier])
    assert note.text == vector["note_text"]
    assert signed_by == (verifier,)
    assert note.signatures[0].key_id.hex() == vector["key_id_hex"]
    assert note.serialize() == vector["signed_note"]


def test_vector_every_one_byte_text_change_fails() -> None:
    vector = _vector()
    verifier = NoteVerifier.from_vkey(vector["vkey"])
    text: str = vector["note_text"]
    signed: str = vector["signed_note"]
    for i, ch in enumerate(text[:-1]):  # every character but the final newline
        changed = text[:i] + chr(ord(ch) ^ 0x01) + text[i + 1 :] + signed[len(text) :]
        with pytest.raises(NoteError, match="does not verify"):
            open_note(changed, [verifier])


def test_vector_every_one_byte_signature_change_fails() -> None:
    vector = _vector()
    verifier = NoteVerifier.from_vkey(vector["vkey"])
    raw_len = 4 + 64
    for i in range(raw_len):
        changed = _with_signature_bytes(vector["signed_note"], 0, partial(_flip, index=i))
        # A changed key id no longer names the known key, so the signature is ignored.
        expected = "not verify" if i >= 4 else "none of the 1 signatures is by a known key"
        with pytest.raises(NoteError, match=expected):
            open_note(changed, [verifier])


def test_vector_is_rejected_by_another_key_of_the_same_name() -> None:
    vector = _vector()
    impostor = NoteVerifier(vector["key_name"], SIGNER_A.verifier.public_key)
    with pytest.raises(NoteError, match="known key"):
        open_note(vector["signed_note"], [impostor])


# --- key ids, vkeys, signers -------------------------------------------------------------------


def test_key_id_depends_on_name_type_and_key() -> None:
    pub = SIGNER_A.verifier.public_key
    ids = {
        key_id("a.example/log", ED25519_TYPE, pub),
        key_id("a.example/log", COSIGNATURE_TYPE, pub),
        key_id("b.example/log", ED25519_TYPE, pub),
        key_id("a.example/log", ED25519_TYPE, SIGNER_B.verifier.public_key),
    }
    assert len(ids) == 4
    assert all(len(i) == 4 for i in ids)
    assert SIGNER_A.key_id == key_id("a.example/log", ED25519_TYPE, pub)


def test_signer_vkey_round_trips_and_repr_hides_key() -> None:
    seed = (1).to_bytes(32, "big")
    verifier = NoteVerifier.from_vkey(SIGNER_A.vkey)
    assert verifier == SIGNER_A.verifier
    assert verifier.key_id == SIGNER_A.key_id
    assert seed.hex() not in repr(SIGNER_A)
    assert "a.example/log" in repr(SIGNER_A)


@pytest.mark.parametrize(
    ("vkey", "match"),
    [
        ("example.com/foo+530d903a", "vkey is"),
        ("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k+x", "not valid standard base64"),
        ("example.com/foo+530d903+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "hex digits"),
        ("example.com/foo+530d903g+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "hex digits"),
        ("example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "does not match"),
        ("example.com/bar+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "does not match"),
        ("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2", "base64"),
        ("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k=", "base64"),
        ("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U0=", "32 bytes"),
        ("+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "empty"),
        ("example.com/f o+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "space"),
        ("example.com/foo+530d903a+", "only Ed25519"),
    ],
)
def test_malformed_vkeys_are_rejected(vkey: str, match: str) -> None:
    with pytest.raises(NoteError, match=match):
        NoteVerifier.from_vkey(vkey)


def test_cosignature_vkey_is_refused_for_verification() -> None:
    pub = SIGNER_B.verifier.public_key
    kid = key_id(SIGNER_B.name, COSIGNATURE_TYPE, pub)
    vkey = f"{SIGNER_B.name}+{kid.hex()}+{base64.b64encode(bytes([COSIGNATURE_TYPE]) + pub).decode()}"
    with pytest.raises(NoteError, match="0x04"):
        NoteVerifier.from_vkey(vkey)


@pytest.mark.parametrize("name", ["", "a+b", "a b", "a\u00a0b", "a\tb", "a\x01b", "\u2003"])
def test_invalid_key_names_are_rejected(name: str) -> None:
    with pytest.raises(NoteError, match="key name"):
        NoteSigner(name, SigningKey.from_seed(bytes(32)))


# --- verification rules ------------------------------------------------------------------------


def test_unknown_keys_are_ignored() -> None:
    note = sign_note(TEXT, [SIGNER_A, SIGNER_B])
    pub_a = SIGNER_A.verifier.public_key
    unknown = [
        _line("stranger.example/x", key_id("stranger.example/x", ED25519_TYPE, pub_a) + bytes(64)),
        _line(SIGNER_A.name, b"\x00\x00\x00\x00" + bytes(64)),  # same name, other key id
        _line("other.example/name", SIGNER_A.key_id + bytes(64)),  # same key id, other name
        _line(SIGNER_A.name, key_id(SIGNER_A.name, COSIGNATURE_TYPE, pub_a) + bytes(72)),
    ]
    with_unknown = note + "".join(unknown)
    parsed, signed_by = open_note(with_unknown, [SIGNER_A.verifier])
    assert signed_by == (SIGNER_A.verifier,)
    assert len(parsed.signatures) == 6
    assert parsed.serialize() == with_unknown


def test_no_known_key_rejects_the_note() -> None:
    note = sign_note(TEXT, [SIGNER_A])
    with pytest.raises(NoteError, match="none of the 1 signatures is by a known key"):
        open_note(note, [SIGNER_B.verifier])
    with pytest.raises(NoteError, match="known key"):
        open_note(note, [])


def test_bad_signature_by_a_known_key_rejects_the_note() -> None:
    good_a = sign_note(TEXT, [SIGNER_A])
    bad_b = _line(SIGNER_B.name, SIGNER_B.key_id + SIGNER_B.sign(TEXT + "x\n").signature)
    with pytest.raises(NoteError, match=r"b\.example/witness .* does not verify"):
        open_note(good_a + bad_b, [SIGNER_A.verifier, SIGNER_B.verifier])
    # The same bad line from a key nobody trusts is ignored.
    assert open_note(good_a + bad_b, [SIGNER_A.verifier])[1] == (SIGNER_A.verifier,)


def test_all_signers_known_are_reported_in_note_order() -> None:
    note = sign_note(TEXT, [SIGNER_B, SIGNER_A])
    _, signed_by = open_note(note, [SIGNER_A.verifier, SIGNER_B.verifier, MANY[5].verifier])
    assert signed_by == (SIGNER_B.verifier, SIGNER_A.verifier)


@pytest.mark.parametrize("count", [16, MAX_SIGNATURES])
def test_many_signatures_verify_with_any_one_known(count: int) -> None:
    note = sign_note(TEXT, MANY[:count])
    for known in (0, count // 2, count - 1):
        parsed, signed_by = open_note(note, [MANY[known].verifier])
        assert signed_by == (MANY[known].verifier,)
        assert len(parsed.signatures) == count


def test_more_than_max_signatures_is_rejected() -> None:
    note = sign_note(TEXT, MANY[:MAX_SIGNATURES])
    extra = _line(MANY[MAX_SIGNATURES].name, MANY[MAX_SIGNATURES].sign(TEXT).key_id + bytes(64))
    with pytest.raises(NoteError, match="101 signature lines, more than 100"):
        parse_note(note + extra)
    with pytest.raises(NoteError, match="more than 100"):
        open_note(note + extra, [MANY[0].verifier])
    with pytest.raises(NoteError, match="more than 100"):
        sign_note(TEXT, MANY[MAX_SIGNATURES:], existing=parse_note(note))
    assert sign_note(TEXT, MANY[:1], existing=parse_note(note)) == note  # a replacement: still 100
    with pytest.raises(NoteError, match="more than 100"):
        sign_note(TEXT, MANY)


def test_duplicate_lines_by_one_key_are_all_verified_and_count_once() -> None:
    note = sign_note(TEXT, [SIGNER_A])
    line = note[len(TEXT) + 1 :]
    parsed, signed_by = open_note(note + line, [SIGNER_A.verifier])
    assert signed_by == (SIGNER_A.verifier,)
    assert len(parsed.signatures) == 2
    bad_copy = _with_signature_bytes(note + line, 1, lambda raw: _flip(raw, 10))
    with pytest.raises(NoteError, match="does not verify"):
        open_note(bad_copy, [SIGNER_A.verifier])


def test_sign_note_adds_to_an_existing_note_without_duplicates() -> None:
    cosig = _line("w.example/cosigner", key_id("w.example/cosigner", COSIGNATURE_TYPE, bytes(32)) + bytes(72))
    first = sign_note(TEXT, [SIGNER_A]) + cosig
    both = sign_note(TEXT, [SIGNER_B], existing=parse_note(first))
    assert sign_note(TEXT, [SIGNER_B], existing=parse_note(first + cosig)) == both  # exact copy dropped
    assert both == first + sign_note(TEXT, [SIGNER_B])[len(TEXT) + 1 :]  # kept in order, new last
    _, signed_by = open_note(both, [SIGNER_A.verifier, SIGNER_B.verifier])
    assert signed_by == (SIGNER_A.verifier, SIGNER_B.verifier)
    # Re-signing with a key already present replaces its line (and drops copies): idempotent.
    doubled = both + sign_note(TEXT, [SIGNER_A])[len(TEXT) + 1 :]
    assert sign_note(TEXT, [SIGNER_A], existing=parse_note(doubled)) == both
    bad_copy = _with_signature_bytes(doubled, 3, lambda raw: _flip(raw, 10))
    assert sign_note(TEXT, [SIGNER_A], existing=parse_note(bad_copy)) == both
    assert sign_note(TEXT, [SIGNER_A, SIGNER_B], existing=parse_note(both)) == both


def test_sign_note_refuses_bad_input() -> None:
    with pytest.raises(NoteError, match="different text"):
        sign_note(TEXT + "more\n", [SIGNER_B], existing=parse_note(sign_note(TEXT, [SIGNER_A])))
    with pytest.raises(NoteError, match="given twice"):
        sign_note(TEXT, [SIGNER_A, SIGNER_A])
    with pytest.raises(NoteError, match="no signers"):
        sign_note(TEXT, [])


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "empty"),
        ("no newline", "does not end with a newline"),
        ("tab\there\n", "U\\+0009"),
        ("cr\r\n", "U\\+000D"),
        ("nul\x00\n", "U\\+0000"),
        ("esc\x1b[0m\n", "U\\+001B"),
        ("surrogate \ud800\n", "UTF-8"),
    ],
)
def test_invalid_texts_are_not_signed(text: str, match: str) -> None:
    with pytest.raises(NoteError, match=match):
        sign_note(text, [SIGNER_A])
    with pytest.raises(NoteError, match=match):
        SIGNER_A.sign(text)


# --- syntax ------------------------------------------------------------------------------------

_SIG = base64.b64encode(SIGNER_A.key_id + bytes(64)).decode()


@pytest.mark.parametrize(
    ("note", "match"),
    [
        ("", "does not end with a newline"),
        ("text\n", "no blank line"),
        (f"text\n{DASH} a.example/log {_SIG}\n", "no blank line"),
        ("text\n\n", "no signature lines"),
        ("text\n\n\n", "no signature lines"),
        (f"text\n\n{DASH} a.example/log {_SIG}", "does not end with a newline"),
        (f"text\n\n{DASH} a.example/log !!!!\n", "base64"),
        (f"text\n\n{DASH} a.example/log {_SIG.rstrip('=')}\n", "base64"),
        (f"text\n\n{DASH} a.example/log {_SIG[:-2]}B=\n", "canonical"),
        (f"text\n\n{DASH} a.example/log AAAAAA==\n", "4 bytes"),
        (f"text\n\n{DASH} a.example/log \n", "holds 0 bytes"),
        (f"text\n\n- a.example/log {_SIG}\n", "em dash"),
        (f"text\n\n\u2013 a.example/log {_SIG}\n", "em dash"),
        (f"text\n\n{DASH}a.example/log {_SIG}\n", "em dash"),
        (f"text\n\n{DASH}  a.example/log {_SIG}\n", "key name is empty|not '"),
        (f"text\n\n{DASH} a.example/log  {_SIG}\n", "not '"),
        (f"text\n\n{DASH} a.example/log+1 {_SIG}\n", r"key name .* contains '\+'"),
        (f"text\n\n{DASH} a.example /log {_SIG}\n", "cannot contain spaces"),
        (f"text\n\n{DASH} a.example\u00a0/log {_SIG}\n", "contains a space"),
        (f"text\n\n{DASH} a.example/log {_SIG}\r\n", "U\\+000D"),
        (f"te\x7f\x08xt\n\n{DASH} a.example/log {_SIG}\n", "U\\+0008"),
        (f"text\n\n{DASH} a.example/log {_SIG}\n{DASH} a.example/log {_SIG}\n\n", "no signature lines"),
        (f"text\n\n{DASH} a.example/log {_SIG}\n\n{DASH} a.example/log !\n", "base64"),
    ],
)
def test_malformed_notes_are_rejected(note: str, match: str) -> None:
    with pytest.raises(NoteError, match=match):
        parse_note(note)
    with pytest.raises(NoteError):
        open_note(note, [SIGNER_A.verifier])


def test_text_is_split_at_the_last_blank_line() -> None:
    text = f"para one\n\n{DASH} looks.like/a {_SIG}\n\n\n"  # blank lines and a fake signature in the text
    note = sign_note(text, [SIGNER_A])
    parsed, _ = open_note(note, [SIGNER_A.verifier])
    assert parsed.text == text
    assert len(parsed.signatures) == 1
    assert open_note(sign_note("\n", [SIGNER_A]), [SIGNER_A.verifier])[0].text == "\n"


def test_note_and_signature_objects_validate() -> None:
    sig = SIGNER_A.sign(TEXT)
    with pytest.raises(NoteError, match="at least one"):
        Note(TEXT, ())
    with pytest.raises(NoteError, match="newline"):
        Note("x", (sig,))
    with pytest.raises(NoteError, match="key id"):
        NoteSignature(sig.name, b"\x00" * 3, sig.signature)
    with pytest.raises(NoteError, match="empty"):
        NoteSignature(sig.name, sig.key_id, b"")
    assert SIGNER_A.verifier.verify(TEXT, sig)
    assert not SIGNER_B.verifier.verify(TEXT, sig)
    # The right key under another name (so another key id) is not the signer.
    assert not NoteVerifier("other.example/log", SIGNER_A.verifier.public_key).verify(TEXT, sig)
    assert not SIGNER_A.verifier.verify(TEXT + "\n", sig)


# --- other signature types are carried, not verified ---------------------------------------------

# The cosigned checkpoint example of c2sp.org/tlog-cosignature (the witness key is not published).
_SPEC_COSIGNED = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"
    f"{DASH} example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    f"{DASH} witness.example.com/w1 "
    "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)


def test_spec_cosignature_example_parses() -> None:
    note = parse_note(_SPEC_COSIGNED)
    assert note.serialize() == _SPEC_COSIGNED
    witness = note.signatures[1]
    assert (witness.name, witness.key_id.hex()) == ("witness.example.com/w1", "8d66cf3f")
    timestamp, signature = parse_cosignature(witness)
    assert timestamp == 1679315147
    assert len(signature) == 64
    with pytest.raises(NoteError, match="not 72"):
        parse_cosignature(note.signatures[0])


def test_cosignature_is_carried_through_signing() -> None:
    timestamp = 1_700_000_000
    message = f"cosignature/v1\ntime {timestamp}\n{TEXT}".encode()
    witness = SigningKey.from_seed(b"w" * 32)
    cosig_kid = key_id("w.example/witness", COSIGNATURE_TYPE, witness.public_key)
    cosig = _line("w.example/witness", cosig_kid + timestamp.to_bytes(8, "big") + witness.sign(message))
    # The same key and name as an Ed25519 note verifier has another key id, so the cosignature is ignored.
    as_note_key = NoteVerifier("w.example/witness", witness.public_key)
    signed = sign_note(TEXT, [SIGNER_A], existing=parse_note(sign_note(TEXT, [SIGNER_A]) + cosig))
    parsed, signed_by = open_note(signed, [SIGNER_A.verifier, as_note_key])
    assert signed_by == (SIGNER_A.verifier,)
    assert parse_cosignature(parsed.signatures[1]) == (timestamp, witness.sign(message))
    too_late = b"\xff" * 8 + bytes(64)
    with pytest.raises(NoteError, match="2\\^63"):
        parse_cosignature(NoteSignature("w.example/witness", cosig_kid, too_late))


# --- properties ----------------------------------------------------------------------------------

_TEXT_CHARS = st.characters(codec="utf-8", exclude_characters=[chr(c) for c in range(32) if c != 10])
_TEXTS = st.text(_TEXT_CHARS, max_size=200).map(lambda s: s + "\n")


@settings(max_examples=200, deadline=None)
@given(text=_TEXTS, count=st.integers(min_value=1, max_value=3))
def test_round_trip_sign_serialize_parse_open(text: str, count: int) -> None:
    signers = MANY[:count]
    serialized = sign_note(text, signers)
    parsed = parse_note(serialized)
    assert parsed.text == text
    assert parsed.serialize() == serialized
    note, signed_by = open_note(serialized, [s.verifier for s in signers])
    assert note == parsed
    assert signed_by == tuple(s.verifier for s in signers)


@settings(max_examples=200, deadline=None)
@given(text=_TEXTS, index=st.integers(min_value=0, max_value=67), mask=st.integers(min_value=1, max_value=255))
def test_any_signature_byte_flip_is_rejected(text: str, index: int, mask: int) -> None:
    note = sign_note(text, [SIGNER_A])
    changed = _with_signature_bytes(note, 0, lambda raw: _flip(raw, index, mask))
    with pytest.raises(NoteError):
        open_note(changed, [SIGNER_A.verifier])


def test_vkey_whose_base64_contains_plus_round_trips() -> None:
    """Base64 uses '+': only the first two '+' separate the vkey's fields."""
    for seed in range(64):
        signer = NoteSigner("example.org/log", SigningKey.from_seed(bytes([seed]) * 32))
        if "+" in signer.vkey.split("+", 2)[2]:
            break
    else:
        pytest.fail("no seed gave a base64 key with '+'")
    verifier = NoteVerifier.from_vkey(signer.vkey)
    assert verifier.vkey == signer.vkey
    note = sign_note("hello\n", [signer])
    assert open_note(note, [verifier])[1] == (verifier,)


# --- tlog-cosignature: signing and verifying type 0x04 cosignatures -------------------------------

COSIGNER = CosignatureSigner("w.example/witness", SigningKey.from_seed(b"w" * 32))


def test_a_cosignature_signs_the_spec_message_with_a_type_4_key_id() -> None:
    """Checked independently of our verifier: the message is built by hand and verified with OpenSSL."""
    timestamp = 1_679_315_147
    sig = COSIGNER.cosign(TEXT, timestamp)
    public = COSIGNER.verifier.public_key
    assert sig.key_id == hashlib.sha256(b"w.example/witness\n\x04" + public).digest()[:4]
    assert sig.signature[:8] == timestamp.to_bytes(8, "big")
    message = b"cosignature/v1\ntime 1679315147\n" + TEXT.encode()
    assert cosignature_message(TEXT, timestamp) == message
    Ed25519PublicKey.from_public_bytes(public).verify(sig.signature[8:], message)  # raises if invalid
    assert parse_cosignature(sig) == (timestamp, sig.signature[8:])
    assert sig.line().startswith(f"{DASH} w.example/witness ")


def test_a_cosignature_verifies_only_for_its_text_time_name_and_key() -> None:
    sig = COSIGNER.cosign(TEXT, 1_700_000_000)
    verifier = COSIGNER.verifier
    assert verifier.timestamp(TEXT, sig) == 1_700_000_000
    assert not verifier.verify(TEXT.replace("42", "43"), sig)
    later = NoteSignature(sig.name, sig.key_id, (1_700_000_001).to_bytes(8, "big") + sig.signature[8:])
    assert not verifier.verify(TEXT, later)
    assert not verifier.verify(TEXT, NoteSignature("w.example/other", sig.key_id, sig.signature))
    other_key = CosignatureVerifier("w.example/witness", SIGNER_A.verifier.public_key)
    assert not other_key.verify(TEXT, sig)
    assert not verifier.verify(TEXT, NoteSignature(sig.name, sig.key_id, sig.signature[:-1]))  # not 72 bytes
    # An Ed25519 note key of the same name and public key has another key id, so it ignores the line.
    assert not NoteVerifier(COSIGNER.name, verifier.public_key).verify(TEXT, sig)


def test_open_note_verifies_log_signatures_and_cosignatures_together() -> None:
    cosigned = sign_note(TEXT, [SIGNER_A]) + COSIGNER.cosign(TEXT, 1_700_000_000).line()
    both: list[Verifier] = [SIGNER_A.verifier, COSIGNER.verifier]
    note, signed_by = open_note(cosigned, both)
    assert signed_by == (SIGNER_A.verifier, COSIGNER.verifier)
    assert len(note.signatures) == 2
    forged = _with_signature_bytes(cosigned, 1, lambda raw: _flip(raw, 20))
    with pytest.raises(NoteError, match=r"w\.example/witness"):
        open_note(forged, both)
    assert open_note(forged, [SIGNER_A.verifier])[1] == (SIGNER_A.verifier,)  # unknown to this reader: ignored


def test_cosigner_vkeys_round_trip_and_refuse_other_types() -> None:
    verifier = CosignatureVerifier.from_vkey(COSIGNER.vkey)
    assert verifier == COSIGNER.verifier
    assert verifier.key_id == COSIGNER.key_id == key_id(COSIGNER.name, COSIGNATURE_TYPE, verifier.public_key)
    assert base64.b64decode(COSIGNER.vkey.split("+", 2)[2])[0] == COSIGNATURE_TYPE
    with pytest.raises(NoteError, match="0x01; a cosigner vkey has type 0x04"):
        CosignatureVerifier.from_vkey(SIGNER_A.vkey)
    wrong_id = COSIGNER.vkey.split("+", 2)
    wrong_id[1] = SIGNER_A.key_id.hex()
    with pytest.raises(NoteError, match="does not match"):
        CosignatureVerifier.from_vkey("+".join(wrong_id))
    assert "77777777" not in repr(COSIGNER)  # the seed (b"w" * 32) never shows


@pytest.mark.parametrize("timestamp", [0, -1, 2**63])
def test_cosignature_timestamps_are_positive_u63(timestamp: int) -> None:
    with pytest.raises(NoteError, match="timestamp"):
        COSIGNER.cosign(TEXT, timestamp)
