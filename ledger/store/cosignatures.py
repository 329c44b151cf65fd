"""Witness cosignatures of the log's checkpoints: stored once verified, served appended to the checkpoint's note.

A cosignature is stored only when it verifies under the key of the witness it was asked from, and verified again
under that key each time it is served, so the served note never carries a line that a client cannot check (a row
edited behind the program's back is left out and logged). Readers that do not know the witnesses ignore the lines.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from ledger.log.checkpoint import Checkpoint
from ledger.store.engine import IMMEDIATE
from ledger.store.ledger import LogReads
from ledger.store.tables import COSIGNATURES
from signer.errors import NoteError
from signer.note import MAX_SIGNATURES, CosignatureVerifier, Note, NoteSignature, parse_note

log = logging.getLogger("traceledger.cosignatures")


def record_cosignature(
    engine: Engine, checkpoint: Checkpoint, witness: CosignatureVerifier, signatures: Sequence[NoteSignature]
) -> bool:
    """Store ``witness``'s valid cosignature of ``checkpoint`` found among ``signatures``; False if there is none.

    The first stored cosignature of a checkpoint by a witness is kept (another server process may store its own
    copy of the same statement first).
    """
    text = parse_note(checkpoint.note).text
    valid = [sig for sig in signatures if witness.verify(text, sig)]
    if not valid:
        return False
    try:
        # BEGIN IMMEDIATE on SQLite: a read that later writes would fail at once if another writer came between.
        with engine.connect().execution_options(**{IMMEDIATE: True}) as conn, conn.begin():
            stored = conn.execute(
                select(func.count())
                .select_from(COSIGNATURES)
                .where(COSIGNATURES.c.size == checkpoint.size, COSIGNATURES.c.witness == witness.vkey)
            ).scalar_one()
            if not stored:
                conn.execute(
                    insert(COSIGNATURES).values(
                        size=checkpoint.size, witness=witness.vkey, signature=valid[0].signature
                    )
                )
    except IntegrityError:
        pass  # stored meanwhile by another process: the statement is kept once
    return True


def last_cosigned_size(engine: Engine, witness: CosignatureVerifier) -> int:
    """The largest checkpoint size ``witness`` has cosigned for this log (0 when none)."""
    with engine.connect() as conn:
        size = conn.execute(
            select(func.max(COSIGNATURES.c.size)).where(COSIGNATURES.c.witness == witness.vkey)
        ).scalar_one()
    return int(size or 0)


def cosignature_count(ledger: LogReads, size: int) -> int:
    """How many witness cosignatures of the checkpoint of ``size`` are stored (each verified when served)."""
    with ledger.reading() as conn:
        query = select(func.count()).select_from(COSIGNATURES).where(COSIGNATURES.c.size == size)
        return int(conn.execute(query).scalar_one())


def cosigned(ledger: LogReads, checkpoint: Checkpoint) -> Checkpoint:
    """``checkpoint`` with the stored cosignatures of its size that verify appended to its note."""
    with ledger.reading() as conn:
        rows = conn.execute(
            select(COSIGNATURES.c.witness, COSIGNATURES.c.signature)
            .where(COSIGNATURES.c.size == checkpoint.size)
            .order_by(COSIGNATURES.c.witness)
        ).all()
    if not rows:
        return checkpoint
    note = parse_note(checkpoint.note)
    lines = list(note.signatures)
    for vkey, signature in rows:
        try:
            sig = stored_cosignature(note.text, vkey, bytes(signature))
        except NoteError as exc:
            log.error("stored cosignature of checkpoint %d is not served: %s", checkpoint.size, exc.detail)
            continue
        if sig not in lines and len(lines) < MAX_SIGNATURES:
            lines.append(sig)
    return Checkpoint(checkpoint.origin, checkpoint.size, checkpoint.root, Note(note.text, tuple(lines)).serialize())


def stored_cosignature(text: str, vkey: str, signature: bytes) -> NoteSignature:
    """A stored cosignature of the note ``text`` as a signature line, verified under the witness key stored with it;
    raises ``NoteError`` when the row is unreadable or the cosignature does not verify."""
    witness = CosignatureVerifier.from_vkey(vkey)
    sig = NoteSignature(witness.name, witness.key_id, signature)
    if not witness.verify(text, sig):
        raise NoteError(f"the cosignature by {witness.name} does not verify")
    return sig


def cosigned_checkpoint(ledger: LogReads) -> Checkpoint:
    """The latest checkpoint, with the witnesses' cosignatures of it."""
    return cosigned(ledger, ledger.checkpoint())
