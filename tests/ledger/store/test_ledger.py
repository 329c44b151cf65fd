from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from ledger.errors import (
    BadEnvelopeSignature,
    CheckpointError,
    EnvelopeTooLarge,
    EventConflict,
    GenesisViolation,
    InvalidEventError,
    InvalidPayload,
    LedgerStateError,
    NonCanonicalPayload,
    UnknownKey,
)
from ledger.events import LogEntry, canonical_json, sign_event
from ledger.events.builders import Registrar, genesis_envelope, registration_payload
from ledger.log.merkle import MerkleTree, leaf_hash, verify_consistency, verify_inclusion
from ledger.store.tables import NODES
from signer.keys import SigningKey, verify_signature
from tests.ledger.conftest import PASSPHRASE, LedgerFixture, make_uscc


def test_a_new_ledger_holds_genesis_and_a_verified_checkpoint(ledger_fixture: LedgerFixture) -> None:
    ledger = ledger_fixture.ledger
    checkpoint = ledger.checkpoint()
    assert checkpoint.size == 1 == ledger.size()
    genesis = LogEntry.parse(ledger.entry(0).data)
    assert genesis.event.payload.kind == "genesis"
    assert genesis.event.payload.data["log_vkey"] == ledger.log_verifier.vkey
    assert checkpoint.root == leaf_hash(ledger.entry(0).data)


def test_append_batch_sequences_stores_and_proves(ledger_fixture: LedgerFixture) -> None:
    ledger = ledger_fixture.ledger
    results = ledger.append([ledger_fixture.registration(n) for n in range(50)])
    assert [r.leaf_index for r in results] == list(range(1, 51))
    assert all(r.created and r.checkpoint_size == 51 for r in results)
    entries = ledger.entries(0, 51)
    assert [e.leaf_hash for e in entries] == [leaf_hash(e.data) for e in entries]
    tree = MerkleTree(e.leaf_hash for e in entries)
    checkpoint = ledger.checkpoint()
    assert checkpoint.root == tree.root() == ledger.root()
    for entry in entries:
        proof = ledger.inclusion_proof(entry.leaf_index, checkpoint.size)
        assert proof == tree.inclusion_proof(entry.leaf_index, checkpoint.size)
        verify_inclusion(entry.leaf_hash, entry.leaf_index, checkpoint.size, proof, checkpoint.root)
    for result, entry in zip(results, entries[1:], strict=True):
        assert result.event_id == entry.event_id
        assert result.leaf_hash == entry.leaf_hash


def test_every_checkpoint_is_consistent_with_every_later_one(ledger_fixture: LedgerFixture) -> None:
    ledger = ledger_fixture.ledger
    for start in range(0, 40, 7):
        ledger.append([ledger_fixture.registration(n) for n in range(start, start + 7)])
    checkpoints = ledger.checkpoints()
    assert [c.size for c in checkpoints] == [1, 8, 15, 22, 29, 36, 43]
    for i, old in enumerate(checkpoints):
        for new in checkpoints[i:]:
            verify_consistency(old.size, new.size, old.root, new.root, ledger.consistency_proof(old.size, new.size))


def test_resubmitting_a_logged_envelope_returns_the_entry_and_stores_nothing(ledger_fixture: LedgerFixture) -> None:
    ledger = ledger_fixture.ledger
    envelope = ledger_fixture.registration(1)
    first = ledger.append([envelope])[0]
    before = ledger_fixture.table_snapshot()
    again = ledger.append([envelope])[0]
    assert not again.created
    assert (again.leaf_index, again.event_id, again.leaf_hash) == (first.leaf_index, first.event_id, first.leaf_hash)
    assert ledger_fixture.table_snapshot() == before


def test_a_replayed_batch_is_answered_without_checking_any_signature(
    ledger_fixture: LedgerFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = ledger_fixture.ledger
    batch = [ledger_fixture.registration(n) for n in range(1, 51)]  # prepared in this process (few events)
    first = ledger.append(batch)
    checked: list[bytes] = []

    def counting(key: bytes, message: bytes, signature: bytes) -> bool:
        checked.append(signature)
        return verify_signature(key, message, signature)

    monkeypatch.setattr("ledger.events.envelope.verify_signature", counting)
    before = ledger_fixture.table_snapshot()
    for replay in (batch, [canonical_json(e) for e in batch]):
        again = ledger.append(replay)
        assert [(r.leaf_index, r.event_id, r.leaf_hash, r.checkpoint_size, r.created) for r in again] == [
            (r.leaf_index, r.event_id, r.leaf_hash, 51, False) for r in first
        ]
    assert checked == []
    assert ledger_fixture.table_snapshot() == before
    results = ledger.append([*batch[:3], ledger_fixture.registration(60)])  # not a replay: checked as usual
    assert [r.created for r in results] == [False, False, False, True]
    assert len(checked) == 4


def test_a_batch_mixing_logged_and_new_envelopes_appends_only_the_new(ledger_fixture: LedgerFixture) -> None:
    ledger = ledger_fixture.ledger
    old = ledger_fixture.registration(1)
    ledger.append([old])
    results = ledger.append([old, ledger_fixture.registration(2)])
    assert [(r.leaf_index, r.created) for r in results] == [(1, False), (2, True)]


def test_same_event_with_other_signatures_is_a_conflict(ledger_fixture: LedgerFixture) -> None:
    ledger = ledger_fixture.ledger
    envelope = ledger_fixture.registration(1)
    ledger.append([envelope])
    before = ledger_fixture.table_snapshot()
    payload = base64.b64decode(envelope["payload"])
    other = SigningKey.from_seed(b"x" * 32)
    extra = {"keyid": other.kid, "sig": base64.b64encode(other.sign(b"anything" + payload)).decode()}
    with pytest.raises((EventConflict, BadEnvelopeSignature, UnknownKey)):
        ledger.append([{**envelope, "signatures": [*envelope["signatures"], extra]}])
    assert ledger_fixture.table_snapshot() == before


def test_one_bad_signature_rejects_the_whole_batch_and_names_it(ledger_fixture: LedgerFixture) -> None:
    batch = [ledger_fixture.registration(n) for n in range(5)]
    sig = bytearray(base64.b64decode(batch[3]["signatures"][0]["sig"]))
    sig[10] ^= 1
    batch[3] = {**batch[3], "signatures": [{**batch[3]["signatures"][0], "sig": base64.b64encode(sig).decode()}]}
    before = ledger_fixture.table_snapshot()
    with pytest.raises(BadEnvelopeSignature) as info:
        ledger_fixture.ledger.append(batch)
    assert info.value.position == 3
    assert "event 3" in info.value.detail
    assert ledger_fixture.table_snapshot() == before


def test_an_unknown_key_is_rejected(ledger_fixture: LedgerFixture) -> None:
    stranger = SigningKey.from_seed(b"s" * 32)
    payload = registration_payload(stranger, make_uscc(7), "x", ["merchant"], [stranger.public_key])
    before = ledger_fixture.table_snapshot()
    with pytest.raises(UnknownKey):
        ledger_fixture.ledger.append([sign_event(payload, [stranger]).to_json()])
    assert ledger_fixture.table_snapshot() == before


def test_envelope_limits_and_canonical_form(ledger_fixture: LedgerFixture) -> None:
    ledger = ledger_fixture.ledger
    before = ledger_fixture.table_snapshot()
    with pytest.raises(EnvelopeTooLarge):
        ledger.append([b" " * (64 * 1024 + 1)])
    envelope = ledger_fixture.registration(1)
    pretty = json.dumps(json.loads(base64.b64decode(envelope["payload"])), indent=1).encode()
    with pytest.raises(NonCanonicalPayload):
        ledger.append([{**envelope, "payload": base64.b64encode(pretty).decode()}])
    with pytest.raises(InvalidEventError):
        ledger.append([envelope, envelope])
    with pytest.raises(InvalidEventError):
        ledger.append([])
    assert ledger_fixture.table_snapshot() == before


def test_claimed_time_must_be_near_the_log_time(ledger_fixture: LedgerFixture) -> None:
    now = datetime.now(UTC)
    before = ledger_fixture.table_snapshot()
    for when in (now + timedelta(minutes=10), now - timedelta(days=8)):
        key = SigningKey.generate()
        payload = registration_payload(
            ledger_fixture.registrar, make_uscc(3), "x", ["merchant"], [key.public_key], time=when
        )
        with pytest.raises(InvalidPayload, match="time"):
            ledger_fixture.ledger.append([sign_event(payload, [ledger_fixture.registrar]).to_json()])
    assert ledger_fixture.table_snapshot() == before


def test_logged_at_never_decreases(ledger_fixture: LedgerFixture) -> None:
    for n in range(5):
        ledger_fixture.ledger.append([ledger_fixture.registration(n)])
    stamps = [LogEntry.parse(e.data).logged_at for e in ledger_fixture.ledger.entries(0, 6)]
    assert stamps == sorted(stamps)


def test_a_second_genesis_is_rejected(ledger_fixture: LedgerFixture) -> None:
    log_key = SigningKey.generate()
    envelope = genesis_envelope("other/log", log_key, [Registrar(make_uscc(1), "x", (log_key.public_key,))])
    with pytest.raises(GenesisViolation):
        ledger_fixture.ledger.append([envelope.to_json()])
    assert ledger_fixture.ledger.size() == 1


def test_a_corrupted_node_store_is_never_signed_over(ledger_fixture: LedgerFixture) -> None:
    ledger = ledger_fixture.ledger
    ledger.append([ledger_fixture.registration(n) for n in range(3)])
    with ledger.engine.begin() as conn:
        conn.execute(update(NODES).where(NODES.c.level == 2, NODES.c.index == 0).values(hash=b"\0" * 32))
    before = ledger_fixture.table_snapshot()
    with pytest.raises((CheckpointError, LedgerStateError)):
        ledger.append([ledger_fixture.registration(9)])
    assert ledger_fixture.table_snapshot() == before


def test_reopened_read_only_ledger_reads_but_cannot_append(ledger_fixture: LedgerFixture) -> None:
    ledger_fixture.ledger.append([ledger_fixture.registration(1)])
    reader = ledger_fixture.home.open()
    try:
        assert reader.checkpoint() == ledger_fixture.ledger.checkpoint()
        with pytest.raises(LedgerStateError):
            reader.append([ledger_fixture.registration(2)])
    finally:
        reader.close()
    writer = ledger_fixture.home.open(PASSPHRASE)
    try:
        assert writer.append([ledger_fixture.registration(2)])[0].leaf_index == 2
    finally:
        writer.close()


def test_entries_are_canonical_json_with_the_envelope_and_log_time(ledger_fixture: LedgerFixture) -> None:
    envelope = ledger_fixture.registration(1)
    ledger_fixture.ledger.append([envelope])
    data = ledger_fixture.ledger.entry(1).data
    document = json.loads(data)
    assert set(document) == {"envelope", "logged_at"}
    assert document["envelope"] == envelope
    assert canonical_json(document) == data
