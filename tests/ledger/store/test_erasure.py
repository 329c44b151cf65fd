"""Erasing an attachment is a logged ``attachment.erasure``: who may, of what, once; reindex derives the same views."""

from __future__ import annotations

from ledger.errors import AlreadyErased, NotAuthorized, UnknownAttachment, UnknownKey, WrongParents
from ledger.events.builders import erasure_payload
from ledger.store.attachments import committed_attachment, erase_attachment, erasure_of, store_attachment
from signer.keys import SigningKey
from tests.ledger.store.test_attachments import reviewed, reviewed_by
from tests.scenarios.world import World


def test_a_regulator_erases_once_and_a_second_erasure_is_refused(world: World) -> None:
    sealed, _ = reviewed(world)
    regulator = world.register("曲靖市市场监督管理局", "regulator")
    digest = sealed.ref.digest
    assert erase_attachment(world.ledger, regulator.key, digest, "unlawful_content").created
    with world.rejected(AlreadyErased):
        erase_attachment(world.ledger, world.registrar, digest, "court_order")


def test_an_erasure_of_a_digest_no_event_committed_to_is_refused(world: World) -> None:
    _, index = reviewed(world)
    entry = world.ledger.entry(index)
    payload = erasure_payload(world.registrar, entry.subject, entry.event_id, digest="sha256:" + "2" * 64,
                              reason="other")  # fmt: skip
    with world.rejected(UnknownAttachment):
        world.append(payload, world.registrar)


def test_an_erasure_follows_the_event_that_committed_to_the_attachment(world: World) -> None:
    sealed, index = reviewed(world)
    other = world.ledger.entry(index - 1)
    payload = erasure_payload(world.registrar, other.subject, other.event_id, digest=sealed.ref.digest, reason="other")
    with world.rejected(WrongParents):
        world.append(payload, world.registrar)


def test_a_producer_may_not_erase(world: World) -> None:
    sealed, _ = reviewed(world)
    producer = world.register("另一家火腿厂", "producer")
    with world.rejected(NotAuthorized):
        erase_attachment(world.ledger, producer.key, sealed.ref.digest, "court_order")
    stranger = SigningKey.generate()  # a key nobody registered and that committed to nothing
    with world.rejected(UnknownKey):
        world.ledger.append([erasure_of(world.ledger, stranger, sealed.ref.digest, "pipl_request")])


def test_the_consumer_erases_its_own_review_text_on_its_own_request(world: World) -> None:
    sealed, _, consumer = reviewed_by(world)
    with world.rejected(NotAuthorized):  # a data subject's own erasure is a PIPL request, and says so
        erase_attachment(world.ledger, consumer, sealed.ref.digest, "court_order")
    assert erase_attachment(world.ledger, consumer, sealed.ref.digest, "pipl_request").created
    assert committed_attachment(world.ledger, sealed.ref.digest).status == "removed"


def test_reindex_derives_the_same_views_after_an_erasure(world: World) -> None:
    sealed, _ = reviewed(world)
    store_attachment(world.ledger, sealed.ref.digest, sealed.stored)
    erase_attachment(world.ledger, world.registrar, sealed.ref.digest, "court_order")
    views = world.ledger.views()
    assert any(view == "attachments" and key == sealed.ref.digest for view, key in views)
    world.ledger.reindex()
    assert world.ledger.views() == views
    assert committed_attachment(world.ledger, sealed.ref.digest).status == "removed"
