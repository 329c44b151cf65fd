"""Attachment content: stored only against a logged commitment, read back, and erased without touching the log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ledger.errors import AttachmentRemoved, InvalidAttachment, LedgerError, NotFound
from ledger.events import SealedAttachment, seal_attachment
from ledger.events.builders import inspection_payload, review_payload
from ledger.identifiers import batch_subject
from ledger.log.merkle import verify_inclusion
from ledger.store.attachments import (
    attachment_text,
    committed_attachment,
    erase_attachment,
    find_attachments,
    read_attachment,
    store_attachment,
)
from ledger.store.tables import ATTACHMENTS
from signer.keys import SigningKey
from tests.scenarios.world import World, gtin, sscc

REVIEW_TEXT = "火腿很香，包装完好。<b>五星</b>"
TEXT = "text/plain; charset=utf-8"


def reviewed(world: World) -> tuple[SealedAttachment, int]:
    """A story that ends in a consumer's review with text: the sealed text and the review's leaf index."""
    producer = world.register("宣威火腿厂", "producer", licences=("food_production",), prefixes=("690123",))
    courier = world.register("曲靖速达快递", "courier")
    consumer = SigningKey.generate()
    batch = batch_subject(gtin("690123", 1), "XW2026-11").path
    world.produce(producer, gtin("690123", 1), "XW2026-11", 10)
    world.dispatch(producer, sscc(1), [(batch, 1)], consignee=consumer)
    world.handoff(courier, sscc(1))
    receipt = world.sign_for(consumer, sscc(1))
    sealed = seal_attachment(REVIEW_TEXT.encode(), TEXT)
    review = world.append(review_payload(consumer, batch, receipt, rating=5, text=sealed.ref), consumer)
    return sealed, review.leaf_index


def test_content_is_stored_once_against_its_commitment_and_read_back(world: World) -> None:
    sealed, index = reviewed(world)
    ledger = world.ledger
    digest = sealed.ref.digest
    found = committed_attachment(ledger, digest)
    assert (found.ref, found.leaf_index, found.status, found.text) == (sealed.ref, index, "missing", None)
    with pytest.raises(NotFound, match="has not been uploaded"):
        read_attachment(ledger, digest)
    assert attachment_text(ledger, digest) is None

    assert store_attachment(ledger, digest, sealed.stored) is True
    assert store_attachment(ledger, digest, sealed.stored) is False  # idempotent
    assert read_attachment(ledger, digest) == sealed
    assert attachment_text(ledger, digest) == REVIEW_TEXT
    assert committed_attachment(ledger, digest).status == "stored"
    assert committed_attachment(ledger, digest).content == REVIEW_TEXT.encode()


def test_uploads_that_do_not_match_a_commitment_store_nothing(world: World) -> None:
    sealed, _ = reviewed(world)
    digest = sealed.ref.digest
    other = seal_attachment(REVIEW_TEXT.encode(), TEXT)  # same text, another salt: another digest
    refusals: list[tuple[str, bytes, type[LedgerError], str]] = [
        (other.ref.digest, other.stored, NotFound, "no logged entry commits to attachment"),
        ("sha256:" + "0" * 64, sealed.stored, NotFound, "no logged entry commits"),
        ("not a digest", sealed.stored, NotFound, "no logged entry commits"),
        (digest, other.stored, InvalidAttachment, "does not match its digest"),
        (digest, sealed.stored + b"!", InvalidAttachment, "size differs"),
        (digest, sealed.stored[16:], InvalidAttachment, "size differs"),  # without its salt
        (digest, b"", InvalidAttachment, "size differs"),
    ]
    for candidate, stored, error, says in refusals:
        with world.rejected(error) as info:
            store_attachment(world.ledger, candidate, stored)
        assert says in info.value.detail


def test_erasing_removes_the_content_for_good_and_the_log_still_proves_the_entry(world: World) -> None:
    sealed, index = reviewed(world)
    ledger = world.ledger
    digest = sealed.ref.digest
    store_attachment(ledger, digest, sealed.stored)
    entries_before = ledger.entries(0, ledger.size())

    erasure = erase_attachment(ledger, world.registrar, digest, "court_order")
    erased = ledger.entry(erasure.leaf_index)
    assert (erased.kind, erased.subject) == ("attachment.erasure", ledger.entry(index).subject)
    with ledger.engine.connect() as conn:
        row = conn.execute(select(ATTACHMENTS).where(ATTACHMENTS.c.digest == digest)).one()
    assert row.content is None
    assert row.erased_at == erased.logged_at  # the erasure's own log time, not a clock reading of its own
    with pytest.raises(AttachmentRemoved, match="was removed on"):
        read_attachment(ledger, digest)
    with world.rejected(AttachmentRemoved):
        store_attachment(ledger, digest, sealed.stored)
    assert attachment_text(ledger, digest) is None
    assert committed_attachment(ledger, digest).status == "removed"

    # The entry that committed to it is untouched and still proved by the new checkpoint.
    checkpoint = ledger.checkpoint()
    assert ledger.entries(0, len(entries_before)) == entries_before
    entry = ledger.entry(index)
    proof = ledger.inclusion_proof(index, checkpoint.size)
    verify_inclusion(entry.leaf_hash, index, checkpoint.size, proof, checkpoint.root)
    with pytest.raises(NotFound, match="no logged entry commits"):
        erase_attachment(ledger, world.registrar, "sha256:" + "1" * 64, "other")


def test_an_attachment_erased_before_its_upload_is_never_stored(world: World) -> None:
    sealed, _ = reviewed(world)
    assert erase_attachment(world.ledger, world.registrar, sealed.ref.digest, "never_uploaded").created
    with world.rejected(AttachmentRemoved):
        store_attachment(world.ledger, sealed.ref.digest, sealed.stored)


def test_only_text_reads_as_text(world: World) -> None:
    sealed, _ = reviewed(world)
    producer = world.register("检测实验室", "producer", prefixes=("690124",), licences=("food_production",))
    batch = batch_subject(gtin("690124", 1), "L1").path
    production = world.produce(producer, gtin("690124", 1), "L1", 5)
    report = seal_attachment(b"%PDF-1.7 report", "application/pdf")
    latin = seal_attachment("Qualit\u00e9 contr\u00f4l\u00e9e".encode("latin-1"), "text/plain; charset=iso-8859-1")
    for attachment in (report, latin):
        world.append(
            inspection_payload(producer.key, batch, production, result="pass", standard="GB", report=attachment.ref),
            producer.key,
        )
        store_attachment(world.ledger, attachment.ref.digest, attachment.stored)
    assert attachment_text(world.ledger, report.ref.digest) is None
    assert read_attachment(world.ledger, report.ref.digest).content == b"%PDF-1.7 report"
    assert attachment_text(world.ledger, latin.ref.digest) == "Qualit\u00e9 contr\u00f4l\u00e9e"
    found = find_attachments(world.ledger, [sealed.ref.digest, report.ref.digest, "sha256:" + "2" * 64])
    assert set(found) == {sealed.ref.digest, report.ref.digest}
    assert (found[sealed.ref.digest].status, found[report.ref.digest].status) == ("missing", "stored")
