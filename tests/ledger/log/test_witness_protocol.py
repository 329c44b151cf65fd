"""The add-checkpoint wire format: one spelling per request, and every malformed request refused as a 400."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.log.merkle import MerkleTree, leaf_hash
from ledger.log.witness_errors import InconsistentCheckpoint, MalformedWitnessRequest, WitnessConfigError
from ledger.log.witness_protocol import (
    AddCheckpoint,
    WitnessEndpoint,
    parse_cosignature_lines,
    parse_decimal,
    parse_size_body,
    size_body,
)
from signer.errors import NoteError
from signer.keys import SigningKey
from signer.note import CosignatureSigner
from tests.strategies import add_checkpoint_parts, merkle_consistency_cases
from tests.witness.conftest import Log, open_witness

SPEC_EXAMPLE = """old 20852014
PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=
jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=
5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=
/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=

example.com/behind-the-sofa
20852163
CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=

\u2014 example.com/behind-the-sofa \
Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=
"""


def test_the_spec_example_request_parses_and_round_trips() -> None:
    request = AddCheckpoint.parse(SPEC_EXAMPLE)
    assert request.old_size == 20852014
    assert len(request.proof) == 4
    assert all(len(h) == 32 for h in request.proof)
    assert request.checkpoint.startswith("example.com/behind-the-sofa\n20852163\n")
    assert request.body() == SPEC_EXAMPLE


@settings(max_examples=200, deadline=None)
@given(parts=add_checkpoint_parts())
def test_every_request_round_trips(parts: tuple[int, list[bytes], str]) -> None:
    old_size, proof, note = parts
    request = AddCheckpoint(old_size, tuple(proof), note)
    assert AddCheckpoint.parse(request.body()) == request


@pytest.mark.parametrize(
    ("text", "ok"),
    [("0", True), ("7", True), ("9223372036854775807", True), ("00", False), ("07", False), ("", False),
     ("-1", False), ("+1", False), (" 1", False), ("1e3", False), ("\u0661", False), ("1" * 20, False)],
)  # fmt: skip
def test_sizes_are_decimals_without_leading_zeros(text: str, ok: bool) -> None:
    if ok:
        assert parse_decimal(text, "size") == int(text)
    else:
        with pytest.raises(MalformedWitnessRequest):
            parse_decimal(text, "size")


def test_the_409_size_body() -> None:
    assert size_body(42) == "42\n"
    assert parse_size_body("42\n") == 42
    for bad in ("42", "042\n", "x\n", "42\n\n"):
        with pytest.raises(MalformedWitnessRequest):
            parse_size_body(bad)


def test_cosignature_lines_are_read_after_the_checkpoint() -> None:
    log = Log()
    note = log.checkpoint(3)
    cosigner = CosignatureSigner("w.example/a", SigningKey.from_seed(b"a" * 32))
    line = cosigner.cosign(note.split("\n\n")[0] + "\n", 1_700_000_000).line()
    (parsed,) = parse_cosignature_lines(note, line)
    assert cosigner.verifier.verify(note.split("\n\n")[0] + "\n", parsed)
    assert parse_cosignature_lines(note, "") == ()
    for garbage in ("<html>\n", "\u2014 w.example/a !!!\n", line.rstrip("\n")):
        with pytest.raises(NoteError):
            parse_cosignature_lines(note, garbage)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://w.example/", "w.example/add", "http:///path", "https://w.example/?x=1", "https://w.example/#f",
        "https://w.example:99999/",
    ],
)  # fmt: skip
def test_witness_endpoints_need_an_http_url(url: str) -> None:
    vkey = CosignatureSigner("w.example/a", SigningKey.from_seed(b"a" * 32)).vkey
    with pytest.raises(WitnessConfigError, match="URL"):
        WitnessEndpoint.from_config(url, vkey)


def test_a_witness_url_with_credentials_is_refused_without_echoing_them() -> None:
    vkey = CosignatureSigner("w.example/a", SigningKey.from_seed(b"a" * 32)).vkey
    with pytest.raises(WitnessConfigError, match="user name or password") as caught:
        WitnessEndpoint.from_config("https://operator:s3cret@w.example/", vkey)
    assert "s3cret" not in caught.value.detail


def test_witness_endpoints_need_a_cosigner_vkey() -> None:
    log_vkey = Log().signer.vkey  # an Ed25519 note key (type 0x01): it cannot verify cosignatures
    with pytest.raises(WitnessConfigError, match="0x04"):
        WitnessEndpoint.from_config("https://w.example/", log_vkey)
    vkey = CosignatureSigner("w.example/a", SigningKey.from_seed(b"a" * 32)).vkey
    endpoint = WitnessEndpoint.from_config("https://w.example/prefix/", vkey)
    assert endpoint.add_checkpoint_url == "https://w.example/prefix/add-checkpoint"
    assert endpoint.verifier.vkey == vkey


@settings(max_examples=60, deadline=None)
@given(case=merkle_consistency_cases(), flip=st.integers(0, 2**16))
def test_the_witness_follows_any_consistent_growth_and_no_altered_proof(
    case: tuple[list[bytes], int, int], flip: int
) -> None:
    entries, old_size, new_size = case
    log = Log(tree=MerkleTree(leaf_hash(entry) for entry in entries))
    with tempfile.TemporaryDirectory() as folder:
        witness = open_witness(Path(folder), log)
        witness.add_checkpoint(log.request(0, old_size))
        proof = log.tree.consistency_proof(old_size, new_size)
        if proof:
            byte = flip % (32 * len(proof))
            altered = list(proof)
            node = bytearray(altered[byte // 32])
            node[byte % 32] ^= 1 << (flip % 8)
            altered[byte // 32] = bytes(node)
            with pytest.raises(InconsistentCheckpoint):
                witness.add_checkpoint(AddCheckpoint(old_size, tuple(altered), log.checkpoint(new_size)).body())
        witness.add_checkpoint(log.request(old_size, new_size))
        latest = witness.state.latest(log.signer.name)
        assert latest is not None
        assert (latest.size, latest.root) == (new_size, log.tree.root(new_size))
