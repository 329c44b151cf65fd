"""Stored witness cosignatures: only valid ones are kept, and only those that still verify are served."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, update

from ledger.store.cosignatures import cosigned, cosigned_checkpoint, last_cosigned_size, record_cosignature
from ledger.store.tables import COSIGNATURES
from signer.keys import SigningKey
from signer.note import CosignatureSigner, Verifier, open_note, parse_note
from tests.ledger.conftest import LedgerFixture

W1 = CosignatureSigner("witness.samr.example/w1", SigningKey.from_seed(b"w1".ljust(32, b".")))
W2 = CosignatureSigner("witness.cfda.example/w2", SigningKey.from_seed(b"w2".ljust(32, b".")))


def _text(note: str) -> str:
    return parse_note(note).text


def test_only_a_valid_cosignature_by_the_asked_witness_is_stored(ledger_fixture: LedgerFixture) -> None:
    ledger = ledger_fixture.ledger
    checkpoint = ledger.checkpoint()
    text = _text(checkpoint.note)
    by_w2 = W2.cosign(text, 1_700_000_000)
    of_other_text = W1.cosign(text.replace("\n1\n", "\n2\n"), 1_700_000_000)
    assert not record_cosignature(ledger.engine, checkpoint, W1.verifier, [by_w2, of_other_text])
    assert last_cosigned_size(ledger.engine, W1.verifier) == 0
    assert cosigned_checkpoint(ledger).note == checkpoint.note
    first, second = W1.cosign(text, 1_700_000_000), W1.cosign(text, 1_700_000_100)
    assert record_cosignature(ledger.engine, checkpoint, W1.verifier, [by_w2, first])
    assert record_cosignature(ledger.engine, checkpoint, W1.verifier, [second])  # already held: the first is kept
    assert last_cosigned_size(ledger.engine, W1.verifier) == 1
    assert last_cosigned_size(ledger.engine, W2.verifier) == 0
    served = cosigned_checkpoint(ledger).note
    assert served == checkpoint.note + first.line()


def test_each_checkpoint_is_served_with_its_own_cosignatures(ledger_fixture: LedgerFixture) -> None:
    ledger = ledger_fixture.ledger
    genesis = ledger.checkpoint()
    record_cosignature(ledger.engine, genesis, W1.verifier, [W1.cosign(_text(genesis.note), 1_700_000_000)])
    ledger.append([ledger_fixture.registration(1)])
    latest = ledger.checkpoint()
    assert cosigned_checkpoint(ledger) == latest  # the new checkpoint has no cosignature yet
    for witness in (W2, W1):
        record_cosignature(ledger.engine, latest, witness.verifier, [witness.cosign(_text(latest.note), 1_700_000_900)])
    verifiers: list[Verifier] = [ledger.log_verifier, W1.verifier, W2.verifier]
    _, signers = open_note(cosigned_checkpoint(ledger).note, verifiers)
    assert set(signers) == set(verifiers)
    older = cosigned(ledger, genesis)
    assert older.size == 1
    assert open_note(older.note, verifiers)[1] == (ledger.log_verifier, W1.verifier)
    assert last_cosigned_size(ledger.engine, W1.verifier) == 2


def test_a_row_edited_behind_the_programs_back_is_not_served(
    ledger_fixture: LedgerFixture, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = ledger_fixture.ledger
    checkpoint = ledger.checkpoint()
    for witness in (W1, W2):
        record_cosignature(
            ledger.engine, checkpoint, witness.verifier, [witness.cosign(_text(checkpoint.note), 1_700_000_000)]
        )
    with ledger.engine.begin() as conn:
        raw = conn.execute(select(COSIGNATURES.c.signature).where(COSIGNATURES.c.witness == W1.vkey)).scalar_one()
        changed = bytes(raw[:-1]) + bytes([raw[-1] ^ 1])
        conn.execute(update(COSIGNATURES).where(COSIGNATURES.c.witness == W1.vkey).values(signature=changed))
        conn.execute(update(COSIGNATURES).where(COSIGNATURES.c.witness == W2.vkey).values(witness="not a vkey"))
    with caplog.at_level(logging.ERROR, "traceledger.cosignatures"):
        assert cosigned_checkpoint(ledger).note == checkpoint.note
    not_served = f"stored cosignature of checkpoint {checkpoint.size} is not served: "
    assert f"{not_served}the cosignature by {W1.name} does not verify" in caplog.text
    assert f"{not_served}a vkey is '<name>+<hex key id>+<base64 key>'" in caplog.text
