"""Erasing an attachment's content (ledger.rules.erasure): who may erase what, and once, in memory."""

from __future__ import annotations

from ledger import errors
from ledger.events import AttachmentRef, seal_attachment
from ledger.events.builders import erasure_payload, inspection_payload, review_payload
from signer.keys import SigningKey
from tests.ledger.rules.conftest import Cast
from tests.scenarios.world import sscc

TEXT = "text/plain; charset=utf-8"


def reviewed(cast: Cast, number: int = 1) -> tuple[SigningKey, str, str]:
    """A consumer's review with text: (the consumer's key, the review's event id, the text's digest)."""
    consumer, _, receipt = cast.deliver(number)
    text = seal_attachment("偏咸".encode(), TEXT).ref
    review = cast.log.decide(review_payload(consumer, cast.batch, receipt, rating=4, text=text), consumer)
    return consumer, review, text.digest


def test_a_committed_attachment_is_recorded_and_a_regulator_erases_it_once(cast: Cast) -> None:
    consumer, review, digest = reviewed(cast)
    assert cast.log.row("attachments", digest) == {
        "event": review, "subject": cast.batch, "signer": consumer.kid, "erasure": None,
    }  # fmt: skip
    erase = erasure_payload(cast.regulator.key, cast.batch, review, digest=digest, reason="court_order")
    erasure = cast.log.decide(erase, cast.regulator.key)
    assert cast.log.row("attachments", digest)["erasure"] == erasure
    again = erasure_payload(cast.log.registrar.key, cast.batch, review, digest=digest, reason="other")
    cast.log.refuse(errors.AlreadyErased, again, cast.log.registrar.key)


def test_an_erasure_of_a_digest_no_event_committed_to_is_refused(cast: Cast) -> None:
    _, review, _ = reviewed(cast)
    unknown = erasure_payload(cast.regulator.key, cast.batch, review, digest="sha256:" + "3" * 64, reason="other")
    assert "no logged event commits" in cast.log.refuse(errors.UnknownAttachment, unknown, cast.regulator.key)


def test_an_erasure_follows_the_committing_event_about_its_subject(cast: Cast) -> None:
    _, review, digest = reviewed(cast)
    wrong_parent = erasure_payload(cast.regulator.key, cast.batch, cast.production, digest=digest, reason="other")
    cast.log.refuse(errors.WrongParents, wrong_parent, cast.regulator.key)
    wrong_subject = erasure_payload(cast.regulator.key, sscc(1), review, digest=digest, reason="other")
    cast.log.refuse(errors.WrongParents, wrong_subject, cast.regulator.key)


def test_only_a_regulator_a_registrar_or_the_consumer_itself_erases(cast: Cast) -> None:
    consumer, review, digest = reviewed(cast)
    for party in (cast.producer, cast.merchant, cast.lab):
        payload = erasure_payload(party.key, cast.batch, review, digest=digest, reason="court_order")
        assert "is not a regulator or registrar" in cast.log.refuse(errors.NotAuthorized, payload, party.key)
    other, _, _ = reviewed(cast, 2)  # another consumer, whose key the log knows
    payload = erasure_payload(other, cast.batch, review, digest=digest, reason="pipl_request")
    assert "neither committed to" in cast.log.refuse(errors.NotAuthorized, payload, other)
    payload = erasure_payload(consumer, cast.batch, review, digest=digest, reason="court_order")
    assert "with reason pipl_request" in cast.log.refuse(errors.NotAuthorized, payload, consumer)
    own = erasure_payload(consumer, cast.batch, review, digest=digest, reason="pipl_request")
    erasure = cast.log.decide(own, consumer)
    assert cast.log.row("attachments", digest)["erasure"] == erasure


def test_a_registered_actor_may_not_erase_its_own_attachment(cast: Cast) -> None:
    report = seal_attachment(b"fail", TEXT).ref
    inspection = inspection_payload(
        cast.lab.key, cast.batch, cast.production, result="fail", standard="GB 2730", report=report
    )
    committed = cast.log.decide(inspection, cast.lab.key)
    payload = erasure_payload(cast.lab.key, cast.batch, committed, digest=report.digest, reason="pipl_request")
    cast.log.refuse(errors.NotAuthorized, payload, cast.lab.key)


def test_the_first_commitment_of_a_digest_is_the_one_an_erasure_follows(cast: Cast) -> None:
    _, review, digest = reviewed(cast)
    reused = AttachmentRef(digest, TEXT, len("偏咸".encode()))  # a later event committing to the same digest
    inspection = inspection_payload(cast.lab.key, cast.batch, cast.production, result="pass", standard="GB",
                                    report=reused)  # fmt: skip
    later = cast.log.decide(inspection, cast.lab.key)
    assert cast.log.row("attachments", digest)["event"] == review
    payload = erasure_payload(cast.regulator.key, cast.batch, later, digest=digest, reason="other")
    cast.log.refuse(errors.WrongParents, payload, cast.regulator.key)
