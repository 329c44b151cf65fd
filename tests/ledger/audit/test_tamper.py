"""Tamper suite: the database is changed behind the program's back and the audit must name the change.

Each targeted change is caught with the right index; then hundreds of random single-value mutations of every table
that holds log data, checkpoints, attachments, cosignatures or derived views are each detected. A checkpoint's
``signed_at`` is the ``logged_at`` of its newest entry and an attachment's ``erased_at`` the ``logged_at`` of the
logged erasure that removed its content, so both are mutated like the rest.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

from sqlalchemy import delete, select, update

from ledger.audit import AuditReport, Finding
from ledger.events import LogEntry, canonical_json, log_time, parse_envelope, sign_event
from ledger.events.builders import production_payload
from ledger.store.tables import ATTACHMENTS, CHECKPOINTS, COSIGNATURES, ENTRIES, LOG_HEAD, NODES, VIEWS
from signer.keys import SigningKey
from signer.note import CosignatureSigner, parse_note
from tests.ledger.audit.conftest import WITNESS, Audited
from tests.ledger.audit.tampering import (
    Mutation,
    break_signature,
    entry_data,
    flip_byte,
    index_of,
    is_handoff,
    mutate_value,
    mutated,
    rewrite_log,
    rows,
    set_column,
)
from tests.scenarios.world import gtin

MUTATIONS = 220


def first(report: AuditReport) -> Finding:
    assert not report.ok, "the audit found nothing"
    finding = report.first
    assert finding is not None
    return finding


def test_the_realistic_ledger_audits_clean(audited: Audited) -> None:
    report = audited.audit()
    assert report.ok, [f.line for f in report.findings]
    assert report.entries == report.checkpoints == report.size > 30
    assert report.signatures == report.entries + 2  # a handoff and a return request carry a second signature
    assert report.nodes == 2 * report.size - bin(report.size).count("1")  # every complete subtree of the tree
    assert report.view_rows is not None
    assert report.view_rows > 50
    assert (report.attachments, report.attachment_contents, report.cosignatures) == (3, 1, 2)
    assert report.notes == []


def test_worker_processes_reach_the_same_verdicts(audited: Audited) -> None:
    assert audited.audit(processes=2).ok
    engine = audited.engine()
    index = index_of(engine, is_handoff)
    set_column(engine, ENTRIES, {"leaf_index": index}, "actor", "0" * 32)
    assert first(audited.audit(processes=2)) == first(audited.audit(processes=0))


def test_the_audit_writes_nothing(audited: Audited) -> None:
    engine = audited.engine()
    before = {table.name: rows(engine, table) for table in (ENTRIES, NODES, CHECKPOINTS, VIEWS, LOG_HEAD)}
    audited.close()
    database = audited.home.path / "ledger.db"
    file_before = database.read_bytes() if audited.url.startswith("sqlite") else b""
    assert audited.audit(processes=2).ok
    if audited.url.startswith("sqlite"):
        assert database.read_bytes() == file_before
    after = {table.name: rows(engine, table) for table in (ENTRIES, NODES, CHECKPOINTS, VIEWS, LOG_HEAD)}
    assert after == before


def test_a_byte_of_a_signature_in_an_entry(audited: Audited) -> None:
    engine = audited.engine()
    index = index_of(engine, is_handoff)
    break_signature(engine, index)
    finding = first(audited.audit())
    assert (finding.where, finding.index, finding.kind, finding.problem) == (
        "entry",
        index,
        "shipment",
        "bad-envelope-signature",
    )
    assert finding.line.startswith(f"entry {index} (shipment): the signature by key ")


def test_a_byte_of_the_log_time_in_an_entry(audited: Audited) -> None:
    """``logged_at`` is not signed by the actor: the leaf hash (and so the tree and checkpoints) commit to it."""
    engine = audited.engine()
    index = index_of(engine, lambda e: e.event.payload.kind == "production")
    data = entry_data(engine, index)
    position = data.rindex(b'Z"}') - 1  # the last digit of the milliseconds
    set_column(
        engine,
        ENTRIES,
        {"leaf_index": index},
        "data",
        flip_byte(data, position, ord("9" if data[position] != ord("9") else "8")),
    )
    finding = first(audited.audit())
    assert (finding.where, finding.index, finding.kind) == ("entry", index, "production")
    assert "leaf_hash" in finding.reason
    assert "logged_at" in finding.reason


def test_a_byte_of_a_leaf_hash(audited: Audited) -> None:
    engine = audited.engine()
    leaf = rows(engine, ENTRIES)[7]["leaf_hash"]
    set_column(engine, ENTRIES, {"leaf_index": 7}, "leaf_hash", flip_byte(bytes(leaf), 5))
    finding = first(audited.audit())
    assert (finding.where, finding.index, finding.reason) == (
        "entry",
        7,
        "stored leaf_hash does not match the entry's bytes",
    )


def test_a_byte_of_a_stored_node(audited: Audited) -> None:
    engine = audited.engine()
    node = next(r for r in rows(engine, NODES) if (r["level"], r["index"]) == (2, 1))
    set_column(engine, NODES, {"level": 2, "index": 1}, "hash", flip_byte(bytes(node["hash"]), 31))
    finding = first(audited.audit())
    assert (finding.where, finding.index, finding.kind) == ("merkle-node", 1, "level 2")
    assert finding.line == "merkle node 1 (level 2): stored hash differs from the rebuilt tree"


def test_a_byte_of_a_checkpoint_note(audited: Audited) -> None:
    engine = audited.engine()
    note = rows(engine, CHECKPOINTS)[11]["note"]
    assert note.startswith("trace.example.org/log\n12\n")
    root_line = note.index("\n", len("trace.example.org/log\n12\n")) - 3
    changed = note[:root_line] + ("A" if note[root_line] != "A" else "B") + note[root_line + 1 :]
    set_column(engine, CHECKPOINTS, {"size": 12}, "note", changed)
    finding = first(audited.audit())
    assert (finding.where, finding.index, finding.problem) == ("checkpoint", 12, "bad-checkpoint")
    assert "does not verify" in finding.reason


def test_a_byte_of_a_checkpoint_root(audited: Audited) -> None:
    engine = audited.engine()
    root = rows(engine, CHECKPOINTS)[11]["root"]
    set_column(engine, CHECKPOINTS, {"size": 12}, "root", flip_byte(bytes(root), 0))
    finding = first(audited.audit())
    assert finding.line == "checkpoint 12: the stored root is not its note's root"


def test_a_checkpoint_s_signing_time(audited: Audited) -> None:
    """It is stored as the ``logged_at`` of the checkpoint's newest entry, which the leaf hash commits to."""
    engine = audited.engine()
    stored = rows(engine, CHECKPOINTS)[11]["signed_at"]
    assert stored == LogEntry.parse(entry_data(engine, 11)).logged_at
    set_column(engine, CHECKPOINTS, {"size": 12}, "signed_at", "2026-01-01T00:00:00.000Z")
    finding = first(audited.audit())
    assert finding.line == (
        f"checkpoint 12: stored as signed at 2026-01-01T00:00:00.000Z, but its newest entry was logged at {stored}"
    )


def test_a_deleted_entry(audited: Audited) -> None:
    engine = audited.engine()
    with engine.begin() as conn:
        conn.execute(delete(ENTRIES).where(ENTRIES.c.leaf_index == 20))
    finding = first(audited.audit())
    assert finding.line == "entry 20: missing: the stored entries jump from 19 to 21"


def test_two_entries_swapped(audited: Audited) -> None:
    """A production and the dispatch drawing on it change places (every column moved with its entry)."""
    engine = audited.engine()
    production = index_of(engine, lambda e: e.event.payload.kind == "production")
    dispatch = index_of(engine, lambda e: e.event.payload.data.get("type") == "dispatch")
    assert production < dispatch
    a, b = (rows(engine, ENTRIES)[i] for i in (production, dispatch))
    with engine.begin() as conn:
        conn.execute(update(ENTRIES).where(ENTRIES.c.leaf_index == production).values(event_id="swapping"))
        for row, index in ((a, dispatch), (b, production)):
            values = {k: v for k, v in row.items() if k != "leaf_index"}
            conn.execute(update(ENTRIES).where(ENTRIES.c.leaf_index == index).values(values))
    finding = first(audited.audit())
    assert (finding.where, finding.index, finding.kind) == ("entry", production, "shipment")


def test_a_truncated_tail(audited: Audited) -> None:
    engine = audited.engine()
    size = len(rows(engine, ENTRIES))
    with engine.begin() as conn:
        conn.execute(delete(ENTRIES).where(ENTRIES.c.leaf_index >= size - 3))
    finding = first(audited.audit())
    assert (
        finding.line
        == f"entry {size - 3}: missing: checkpoint {size} covers {size} entries and the log holds {size - 3}"
    )


def test_a_forged_entry_signed_by_an_unregistered_key(audited: Audited) -> None:
    """The operator, holding the log key, appends an event signed by a key no registrar ever registered, and
    publishes a checkpoint over it: every node and checkpoint is consistent, the signer is not."""
    engine = audited.engine()
    datas = [bytes(r["data"]) for r in rows(engine, ENTRIES)]
    forger = SigningKey.generate()
    payload = production_payload(
        forger,
        gtin("690123", 7),
        "FAKE-1",
        product="宣威火腿",
        category="food",
        quantity=500,
        unit="件",
        place="宣威市",
    )
    event = parse_envelope(sign_event(payload, [forger]).to_json())
    forged = LogEntry.create(event, log_time(datetime.now(UTC))).data
    rewrite_log(audited.home, engine, [*datas, forged], resign=lambda size: True, reindex=False)
    finding = first(audited.audit())
    assert (finding.where, finding.index, finding.kind, finding.problem) == (
        "entry",
        len(datas),
        "production",
        "unknown-key",
    )
    assert forger.kid in finding.reason


class TestRewrittenHistory:
    """The operator holding the log key removes an embarrassing complaint from history and rebuilds everything
    after it: entries, nodes, views, and checkpoints re-signed for the rewritten tree."""

    @staticmethod
    def rewrite(audited: Audited, resign_all: bool) -> tuple[int, str]:
        """Returns the removed entry's index and a checkpoint an auditor saved before the rewrite."""
        engine = audited.engine()
        removed = index_of(engine, lambda e: e.event.payload.data.get("channel") == "12315")
        saved = rows(engine, CHECKPOINTS)[removed + 3]["note"]
        datas = [bytes(r["data"]) for r in rows(engine, ENTRIES)]
        new_size = len(datas) - 1
        del datas[removed]
        rewrite_log(audited.home, engine, datas, resign=lambda size: resign_all or size == new_size)
        return removed, saved

    def test_consistent_everywhere_it_is_caught_by_the_saved_checkpoint(self, audited: Audited) -> None:
        removed, saved = self.rewrite(audited, resign_all=True)
        assert audited.audit().ok  # self-consistent: only a checkpoint kept outside the operator's reach tells
        finding = first(audited.audit(since=saved))
        assert (finding.where, finding.index) == ("saved-checkpoint", removed + 4)
        assert "history was rewritten since this checkpoint was saved" in finding.reason

    def test_checkpoints_left_unsigned_are_inconsistent_with_the_rewritten_tree(self, audited: Audited) -> None:
        removed, _ = self.rewrite(audited, resign_all=False)
        report = audited.audit()
        finding = first(report)
        assert (
            finding.line == f"checkpoint {removed + 1}: its root is not the root of the tree rebuilt from the entries"
        )
        latest = report.size  # re-signed for the rewritten tree: it heads the entries, and contradicts the one before
        assert report.findings[-1].line.startswith(
            f"checkpoint {latest}: not consistent with checkpoint {latest - 1}: proof does not lead to the old root"
        )


def test_a_cosignature_byte(audited: Audited) -> None:
    engine = audited.engine()
    cosignature = rows(engine, COSIGNATURES)[0]
    key = {"size": cosignature["size"], "witness": cosignature["witness"]}
    set_column(engine, COSIGNATURES, key, "signature", flip_byte(bytes(cosignature["signature"]), 40))
    finding = first(audited.audit())
    assert (finding.where, finding.index) == ("cosignature", cosignature["size"])
    assert finding.reason == "the cosignature by witness.example/w1 does not verify"


def test_a_valid_cosignature_by_a_witness_the_ledger_does_not_use(audited: Audited) -> None:
    """A stored cosignature replaced by another key's: it verifies, but no configured witness made it."""
    engine = audited.engine()
    cosignature = rows(engine, COSIGNATURES)[-1]
    size = cosignature["size"]
    with engine.connect() as conn:
        note = conn.execute(select(CHECKPOINTS.c.note).where(CHECKPOINTS.c.size == size)).scalar_one()
    impostor = CosignatureSigner(WITNESS, SigningKey.from_seed(b"impostor".ljust(32, b"\0")))
    line = impostor.cosign(parse_note(note).text, 1_796_000_000)
    key = {"size": size, "witness": cosignature["witness"]}
    set_column(engine, COSIGNATURES, key, "witness", impostor.vkey)
    set_column(engine, COSIGNATURES, {"size": size, "witness": impostor.vkey}, "signature", line.signature)
    report = audited.audit()
    finding = first(report)
    assert (finding.where, finding.index, finding.problem) == ("cosignature", size, "bad-note")
    assert finding.reason == f"by {impostor.vkey}, a witness this ledger is not configured to submit to"
    assert len(report.findings) == 1  # the cosignature itself verifies: only the witness is wrong


def test_attachment_content_that_no_longer_matches(audited: Audited) -> None:
    engine = audited.engine()
    digest = audited.names["report"]
    stored = next(r for r in rows(engine, ATTACHMENTS) if r["digest"] == digest)
    set_column(engine, ATTACHMENTS, {"digest": digest}, "content", flip_byte(bytes(stored["content"]), 17))
    finding = first(audited.audit())
    assert (finding.where, finding.key, finding.index) == ("attachment", digest, stored["leaf_index"])
    assert finding.problem == "invalid-attachment"


def test_content_removed_without_a_logged_erasure(audited: Audited) -> None:
    engine = audited.engine()
    digest = audited.names["report"]
    stored = next(r for r in rows(engine, ATTACHMENTS) if r["digest"] == digest)
    set_column(engine, ATTACHMENTS, {"digest": digest}, "content", None)
    finding = first(audited.audit())
    assert (finding.where, finding.key, finding.index) == ("attachment", digest, stored["leaf_index"])
    assert "no logged attachment.erasure covers it" in finding.reason


def test_content_removed_and_marked_erased_without_a_logged_erasure(audited: Audited) -> None:
    engine = audited.engine()
    digest = audited.names["report"]
    with engine.begin() as conn:
        conn.execute(
            update(ATTACHMENTS)
            .where(ATTACHMENTS.c.digest == digest)
            .values(content=None, erased_at="2026-12-01T00:00:00.000Z")
        )
    finding = first(audited.audit())
    assert (finding.where, finding.key) == ("attachment", digest)
    assert "no logged attachment.erasure covers it" in finding.reason


def test_content_restored_after_its_erasure(audited: Audited) -> None:
    engine = audited.engine()
    digest = audited.names["erased"]
    erasure = index_of(engine, lambda e: e.event.payload.kind == "attachment.erasure")
    with engine.begin() as conn:  # the operator keeps a copy and puts it back: a valid salt || content
        conn.execute(update(ATTACHMENTS).where(ATTACHMENTS.c.digest == digest).values(erased_at=None))
    sealed_copy = audited.names["erased_copy"]
    set_column(engine, ATTACHMENTS, {"digest": digest}, "content", bytes.fromhex(sealed_copy))
    finding = first(audited.audit())
    assert (finding.where, finding.key) == ("attachment", digest)
    assert finding.reason == f"content stored again after its erasure at entry {erasure}"


def test_an_erasure_time_that_is_not_the_erasure_entry_s(audited: Audited) -> None:
    engine = audited.engine()
    digest = audited.names["erased"]
    set_column(engine, ATTACHMENTS, {"digest": digest}, "erased_at", "2026-12-01T00:00:00.000Z")
    finding = first(audited.audit())
    assert (finding.where, finding.key) == ("attachment", digest)
    assert finding.reason.startswith("erased_at 2026-12-01T00:00:00.000Z, but its erasure at entry ")


def test_random_single_value_mutations_are_each_detected(audited: Audited) -> None:
    """A seeded stream of mutations (one byte of a binary value, one character of a text, one digit of a number)
    of a random row and column of every audited table; each is applied, audited and undone."""
    rng = random.Random(20261129)
    engine = audited.engine()
    tables = [ENTRIES, NODES, CHECKPOINTS, ATTACHMENTS, VIEWS, LOG_HEAD, COSIGNATURES]
    stored = {table.name: rows(engine, table) for table in tables}
    applied = 0
    undetected: list[str] = []
    while applied < MUTATIONS:
        table = rng.choice(tables)
        row = rng.choice(stored[table.name])
        columns = [c for c, v in row.items() if v is not None and v != ""]
        column = rng.choice(columns)
        key = {c.name: row[c.name] for c in table.primary_key.columns}
        mutation = Mutation(table, key, column, row[column], mutate_value(row[column], rng))
        with mutated(engine, mutation) as applied_now:
            if not applied_now:
                continue  # refused by a uniqueness constraint: not a mutation of the stored log
            applied += 1
            if audited.audit().ok:
                undetected.append(str(mutation))
    assert not undetected, undetected
    assert audited.audit().ok  # every mutation was undone


def test_a_sold_item_marked_unsold(audited: Audited) -> None:
    """An item a consumer signed for may not be sold again (issue 10, item 6); the audit recomputes the sale, so an
    operator who clears it from the item's row, to sell the code twice, is named."""
    engine = audited.engine()
    item = audited.names["item"]
    stored = next(r for r in rows(engine, VIEWS) if (r["view"], r["key"]) == ("items", item))
    row = json.loads(stored["value"])
    assert "receipt" in row
    del row["receipt"]
    set_column(engine, VIEWS, {"view": "items", "key": item}, "value", canonical_json(row).decode())
    finding = first(audited.audit())
    assert (finding.where, finding.kind, finding.key) == ("view", "items", item)
    assert finding.reason == "the stored row differs from the row the replay derives"


def test_a_tampered_row_of_each_risk_view_is_named(audited: Audited) -> None:
    """The risk queue, the once-only fingerprints and the flags on evidence are derived views like the rest: an
    operator who closes a finding, drops its fingerprint's link or unflags a receipt is named."""
    engine = audited.engine()
    finding, receipt = audited.names["finding"], audited.names["receipt"]
    stored = {(r["view"], r["key"]): json.loads(r["value"]) for r in rows(engine, VIEWS) if "risk" in r["view"]}
    (fingerprint,) = [key for view, key in stored if view == "risk_fingerprints"]
    changes = {
        ("risks", finding): {**stored[("risks", finding)], "status": "acted"},
        ("risk_fingerprints", fingerprint): {"finding": receipt},
        ("risk_evidence", receipt): {"findings": []},
    }
    for (view, key), row in changes.items():
        original = canonical_json(stored[(view, key)]).decode()
        set_column(engine, VIEWS, {"view": view, "key": key}, "value", canonical_json(row).decode())
        found = first(audited.audit())
        assert (found.where, found.kind, found.key) == ("view", view, key)
        assert found.reason == "the stored row differs from the row the replay derives"
        set_column(engine, VIEWS, {"view": view, "key": key}, "value", original)
    assert audited.audit().ok
