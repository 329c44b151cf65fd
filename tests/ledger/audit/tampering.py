"""Changes made to a ledger's database behind the program's back, as an attacker (or a failing disk) would."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from ledger.events import LogEntry
from ledger.log.checkpoint import checkpoint_body, parse_checkpoint_body
from ledger.log.merkle import MerkleTree, leaf_hash
from ledger.store.tables import ATTACHMENTS, CHECKPOINTS, COSIGNATURES, ENTRIES, LOG_HEAD, NODES
from signer.keys import SigningKey
from signer.note import NoteSigner, parse_note, sign_note
from tests.ledger.conftest import ORIGIN, PASSPHRASE
from traceledger.settings import Home

TEXT_ALPHABET = "0123456789abcdefABCDEF:/-_.{}\"', zZ曲靖"  # what a replaced character becomes (never NUL: PostgreSQL)


def rows(engine: Engine, table: Table) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(select(table).order_by(*table.primary_key.columns))]


def entry_data(engine: Engine, index: int) -> bytes:
    with engine.connect() as conn:
        return bytes(conn.execute(select(ENTRIES.c.data).where(ENTRIES.c.leaf_index == index)).scalar_one())


def index_of(engine: Engine, predicate: Callable[[LogEntry], bool]) -> int:
    """The index of the first entry ``predicate`` picks."""
    with engine.connect() as conn:
        for index, data in conn.execute(select(ENTRIES.c.leaf_index, ENTRIES.c.data).order_by(ENTRIES.c.leaf_index)):
            if predicate(LogEntry.parse(bytes(data))):
                return int(index)
    raise AssertionError("no entry matches")


def is_handoff(entry: LogEntry) -> bool:
    return entry.event.payload.kind == "shipment" and entry.event.payload.data["type"] == "handoff"


def break_signature(engine: Engine, index: int) -> None:
    """Change one base64 character inside the first signature of entry ``index`` (the entry still parses)."""
    data = entry_data(engine, index)
    position = data.index(b'"sig":"') + 20
    replacement = ord("A" if data[position] != ord("A") else "B")
    set_column(engine, ENTRIES, {"leaf_index": index}, "data", flip_byte(data, position, replacement))


def set_column(engine: Engine, table: Table, key: dict[str, Any], column: str, value: Any) -> None:
    """Set one stored value (the row named by its primary key ``key``)."""
    condition = [table.c[name] == wanted for name, wanted in key.items()]
    with engine.begin() as conn:
        assert conn.execute(update(table).where(*condition).values({column: value})).rowcount == 1


def flip_byte(value: bytes, position: int, new: int | None = None) -> bytes:
    """``value`` with the byte at ``position`` changed (to ``new``, or its bitwise complement)."""
    changed = (value[position] ^ 0xFF) if new is None else new
    assert changed != value[position]
    return value[:position] + bytes([changed]) + value[position + 1 :]


@dataclass(frozen=True)
class Mutation:
    """One stored value changed in one place: which table, row, column and how."""

    table: Table
    key: dict[str, Any]
    column: str
    old: Any
    new: Any

    def __str__(self) -> str:
        return f"{self.table.name} {self.key} .{self.column}: {self.old!r:.80} -> {self.new!r:.80}"


def mutate_value(value: Any, rng: random.Random) -> Any:
    """One byte, character or digit of ``value`` changed to something else."""
    if isinstance(value, bytes | memoryview):
        data = bytes(value)
        position = rng.randrange(len(data))
        return flip_byte(data, position, rng.choice([b for b in range(256) if b != data[position]]))
    if isinstance(value, int):
        digits = str(value)
        position = rng.randrange(len(digits))
        choices = [
            d for d in "0123456789" if d != digits[position] and not (position == 0 and d == "0" and len(digits) > 1)
        ]
        return int(digits[:position] + rng.choice(choices) + digits[position + 1 :])
    assert isinstance(value, str)
    position = rng.randrange(len(value))
    return value[:position] + rng.choice([c for c in TEXT_ALPHABET if c != value[position]]) + value[position + 1 :]


@contextmanager
def mutated(engine: Engine, mutation: Mutation) -> Iterator[bool]:
    """Apply ``mutation`` for the block (yields False when the database refused it), then put the value back."""
    condition = [mutation.table.c[name] == wanted for name, wanted in mutation.key.items()]
    try:
        with engine.begin() as conn:
            conn.execute(update(mutation.table).where(*condition).values({mutation.column: mutation.new}))
    except IntegrityError:
        yield False  # a duplicate key: the database itself refuses this change
        return
    try:
        yield True
    finally:
        key = {**mutation.key, **({mutation.column: mutation.new} if mutation.column in mutation.key else {})}
        restore = [mutation.table.c[name] == wanted for name, wanted in key.items()]
        with engine.begin() as conn:
            conn.execute(update(mutation.table).where(*restore).values({mutation.column: mutation.old}))


def rewrite_log(
    home: Home, engine: Engine, datas: list[bytes], resign: Callable[[int], bool], *, reindex: bool = True
) -> None:
    """Replace the log by the entries ``datas`` as an operator holding the log key would: entries, Merkle nodes,
    attachments and the head rewritten, witness cosignatures dropped (they cannot be forged), the views rebuilt by
    ``reindex``, the checkpoints of each old size that still fits re-signed where ``resign(size)`` (the others are
    left as they were), and a checkpoint of the new size signed."""
    signer = NoteSigner(ORIGIN, SigningKey.load(home.log_key_file, PASSPHRASE))
    tree = MerkleTree(leaf_hash(data) for data in datas)
    entries = [LogEntry.parse(data) for data in datas]
    first_commit: dict[str, int] = {}
    for index, entry in enumerate(entries):
        for attachment in entry.event.payload.attachments:
            first_commit.setdefault(attachment.digest, index)
    with engine.begin() as conn:
        old = {int(size): note for size, note in conn.execute(select(CHECKPOINTS.c.size, CHECKPOINTS.c.note))}
        old.setdefault(tree.size, "")
        for table in (COSIGNATURES, ENTRIES, NODES, CHECKPOINTS):
            conn.execute(delete(table))
        conn.execute(insert(ENTRIES), [_entry_row(index, entry) for index, entry in enumerate(entries)])
        conn.execute(insert(NODES), [{"level": lv, "index": i, "hash": h} for (lv, i), h in tree.nodes.items()])
        for size, note in sorted(old.items()):
            if size > tree.size:
                continue
            if resign(size) or not note:
                note = sign_note(checkpoint_body(ORIGIN, size, tree.root(size)), [signer])
            root = parse_checkpoint_body(parse_note(note).text)[2]
            signed_at = entries[size - 1].logged_at  # as the log stores it: a careful forger gets it right
            conn.execute(insert(CHECKPOINTS).values(size=size, root=root, note=note, signed_at=signed_at))
        conn.execute(update(LOG_HEAD).values(size=tree.size, logged_at=entries[-1].logged_at))
        for digest, index in first_commit.items():
            conn.execute(update(ATTACHMENTS).where(ATTACHMENTS.c.digest == digest).values(leaf_index=index))
    if reindex:
        ledger = home.open()
        try:
            ledger.reindex()
        finally:
            ledger.close()


def _entry_row(index: int, entry: LogEntry) -> dict[str, Any]:
    payload = entry.event.payload
    return {
        "leaf_index": index, "event_id": entry.event.event_id, "leaf_hash": leaf_hash(entry.data),
        "kind": payload.kind, "subject": payload.subject, "actor": payload.actor, "time": payload.time,
        "logged_at": entry.logged_at, "data": entry.data,
    }  # fmt: skip
