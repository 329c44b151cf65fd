"""Risk findings (ledger.rules.risk): only a registered monitor logs one, over logged evidence, once; a sanction
or recall naming a finding acts on it."""

from __future__ import annotations

import dataclasses

import pytest

from ledger import errors
from ledger.events import EventPayload
from ledger.events.builders import recall_payload, review_payload, risk_finding_payload, sanction_payload
from ledger.events.schemas import validate_data
from ledger.identifiers import batch_subject
from ledger.rules.risk import fingerprint
from tests.ledger.rules.conftest import PREFIX, Cast
from tests.scenarios.world import Party, gtin


@pytest.fixture
def monitor(cast: Cast) -> Party:
    return cast.log.register("平台风险监测中心", "monitor")


def _evidence(cast: Cast) -> tuple[str, str]:
    """A delivered parcel: its subject and the receipt's event id."""
    _, parcel, receipt = cast.deliver(1)
    return parcel, receipt


def _found(cast: Cast, monitor: Party, subject: str, detector: str, evidence: str, actor: str | None = None) -> str:
    """The monitor logs a finding of ``detector`` about ``subject`` citing one event; its event id."""
    payload = risk_finding_payload(monitor.key, subject, detector=detector, evidence=[evidence], actor=actor)
    return cast.log.decide(payload, monitor.key)


def test_a_monitor_logs_a_finding_and_the_views_record_it(cast: Cast, monitor: Party) -> None:
    parcel, receipt = _evidence(cast)
    dispatch = str(cast.log.row("parcels", parcel)["dispatch"])
    payload = risk_finding_payload(
        monitor.key, parcel, detector="no_independent_custody", evidence=[receipt, dispatch], actor=cast.producer.id
    )
    finding = cast.log.decide(payload, monitor.key)
    row = cast.log.row("risks", finding)
    assert row["detector"] == "no_independent_custody"
    assert (row["subject"], row["actor"]) == (parcel, cast.producer.id)
    assert (row["evidence"], row["status"], row["actions"]) == (sorted([receipt, dispatch]), "open", [])
    key = fingerprint("no_independent_custody", [dispatch, receipt])
    assert cast.log.row("risk_fingerprints", key) == {"finding": finding}
    assert cast.log.row("risk_evidence", receipt) == {"findings": [finding]}


def test_only_a_registered_monitor_may_sign_a_finding(cast: Cast, monitor: Party) -> None:
    parcel, receipt = _evidence(cast)
    for party in (cast.regulator, cast.courier, cast.producer):
        payload = risk_finding_payload(party.key, parcel, detector="no_independent_custody", evidence=[receipt])
        assert "is not a monitor" in cast.log.refuse(errors.NotAuthorized, payload, party.key)


def test_evidence_must_be_logged_events_and_not_findings(cast: Cast, monitor: Party) -> None:
    parcel, receipt = _evidence(cast)
    unknown = risk_finding_payload(monitor.key, parcel, detector="receipt_burst", evidence=[receipt, "ab" * 32])
    assert "ab" * 32 in cast.log.refuse(errors.UnknownEvidence, unknown, monitor.key)
    first = cast.log.decide(
        risk_finding_payload(monitor.key, parcel, detector="receipt_burst", evidence=[receipt]), monitor.key
    )
    about_finding = risk_finding_payload(monitor.key, parcel, detector="receipt_burst", evidence=[first])
    assert "is a finding itself" in cast.log.refuse(errors.UnknownEvidence, about_finding, monitor.key)


def test_the_same_finding_is_not_logged_twice(cast: Cast, monitor: Party) -> None:
    parcel, receipt = _evidence(cast)
    first = cast.log.decide(
        risk_finding_payload(monitor.key, parcel, detector="captive_consignee", evidence=[receipt]), monitor.key
    )
    # another subject, actor and time: the same detector with the same evidence is the same finding
    again = risk_finding_payload(
        monitor.key, cast.producer.subject, detector="captive_consignee", evidence=[receipt], actor=cast.producer.id
    )
    assert first in cast.log.refuse(errors.FindingExists, again, monitor.key)
    other_detector = risk_finding_payload(monitor.key, parcel, detector="receipt_burst", evidence=[receipt])
    cast.log.decide(other_detector, monitor.key)


def test_a_finding_names_a_registered_actor_and_follows_no_parent(cast: Cast, monitor: Party) -> None:
    parcel, receipt = _evidence(cast)
    stranger = risk_finding_payload(
        monitor.key, parcel, detector="receipt_burst", evidence=[receipt], actor="91530300MA6K5X2Y36"
    )
    cast.log.refuse(errors.UnknownActor, stranger, monitor.key)
    payload = risk_finding_payload(monitor.key, parcel, detector="receipt_burst", evidence=[receipt])
    with_parent = dataclasses.replace(payload, parents=(receipt,))
    cast.log.refuse(errors.WrongParents, with_parent, monitor.key)


def test_the_schema_wants_a_known_detector_and_sorted_distinct_evidence() -> None:
    ids = sorted(["a" * 64, "b" * 64])
    validate_data("risk.finding", "actor/91530300MA6K5X2Y36", {"detector": "repeated_serial", "evidence": ids})
    bad = [
        ({"detector": "gut_feeling", "evidence": ids}, "data.detector"),
        ({"detector": "repeated_serial", "evidence": ids[::-1]}, "distinct and sorted"),
        ({"detector": "repeated_serial", "evidence": [ids[0], ids[0]]}, "distinct and sorted"),
        ({"detector": "repeated_serial", "evidence": []}, "data.evidence"),
        ({"detector": "repeated_serial", "evidence": ["not-an-id"]}, "data.evidence.0"),
    ]
    for data, named in bad:
        with pytest.raises(errors.InvalidPayload, match=named):
            validate_data("risk.finding", "actor/91530300MA6K5X2Y36", data)
    with pytest.raises(errors.InvalidPayload, match="not a log"):
        validate_data("risk.finding", "log", {"detector": "repeated_serial", "evidence": ids})


def test_a_sanction_and_a_recall_naming_a_finding_act_on_it(cast: Cast, monitor: Party) -> None:
    parcel, receipt = _evidence(cast)
    finding = _found(cast, monitor, parcel, "no_independent_custody", receipt, actor=cast.producer.id)
    unknown = sanction_payload(cast.regulator.key, cast.producer.id, list_="red", reason="刷单", finding=receipt)
    assert receipt in cast.log.refuse(errors.UnknownFinding, unknown, cast.regulator.key)
    sanction = cast.log.decide(
        sanction_payload(cast.regulator.key, cast.producer.id, list_="red", reason="刷单", finding=finding),
        cast.regulator.key,
    )
    assert cast.log.row("risks", finding)["status"] == "acted"
    recall = cast.log.decide(
        recall_payload(cast.regulator.key, cast.batch, cast.production, reason="regulatory", level=3, finding=finding),
        cast.regulator.key,
    )
    assert cast.log.row("risks", finding)["actions"] == [sanction, recall]


def test_a_review_of_a_flagged_receipt_is_still_accepted(cast: Cast, monitor: Party) -> None:
    consumer, parcel, receipt = cast.deliver(1)
    cast.log.decide(
        risk_finding_payload(monitor.key, parcel, detector="no_independent_custody", evidence=[receipt]), monitor.key
    )
    cast.log.decide(review_payload(consumer, cast.batch, receipt, rating=5), consumer)
    assert cast.log.row("risk_evidence", receipt)["findings"]


def test_a_sanction_naming_a_finding_must_sanction_the_finding_s_actor(cast: Cast, monitor: Party) -> None:
    parcel, receipt = _evidence(cast)
    about_producer = _found(cast, monitor, parcel, "no_independent_custody", receipt, actor=cast.producer.id)
    about_no_one = _found(cast, monitor, parcel, "receipt_burst", receipt)
    for finding in (about_producer, about_no_one):
        other = sanction_payload(cast.regulator.key, cast.merchant.id, list_="red", reason="刷单", finding=finding)
        detail = cast.log.refuse(errors.FindingActorMismatch, other, cast.regulator.key)
        assert finding in detail
        assert cast.merchant.id in detail
    assert cast.log.row("risks", about_producer)["status"] == "open"


def test_a_recall_naming_a_finding_must_recall_a_batch_the_finding_is_about(cast: Cast, monitor: Party) -> None:
    """The finding's subject is the batch or one of its items, or one of its evidence events is about the batch:
    an event of the batch or of its items, or one about a parcel carrying it."""
    parcel, receipt = _evidence(cast)
    other = cast.production_payload(2, quantity=10)
    other_batch, other_production = other.subject, cast.log.decide(other, cast.producer.key)
    via_parcel = _found(cast, monitor, parcel, "no_independent_custody", receipt)
    about_item = _found(cast, monitor, f"{other_batch}/21/0001", "repeated_serial", receipt)

    def recall(batch: str, production: str, finding: str) -> EventPayload:
        return recall_payload(cast.regulator.key, batch, production, reason="regulatory", level=3, finding=finding)

    detail = cast.log.refuse(
        errors.FindingBatchMismatch, recall(other_batch, other_production, via_parcel), cast.regulator.key
    )
    assert via_parcel in detail
    assert other_batch in detail
    assert cast.log.row("risks", via_parcel)["status"] == "open"
    cast.log.decide(recall(other_batch, other_production, about_item), cast.regulator.key)
    cast.log.decide(recall(cast.batch, cast.production, via_parcel), cast.regulator.key)
    assert cast.log.row("risks", via_parcel)["status"] == cast.log.row("risks", about_item)["status"] == "acted"


def _scans_finding(monitor: Party, batch: str, codes: list[str], evidence: list[str], actor: str) -> EventPayload:
    scans = {"codes": codes, "count": 2 * len(codes), "first": "2026-11-30T08:00:00Z",
             "last": "2026-11-30T09:00:00Z", "places": ["曲靖市"]}  # fmt: skip
    return risk_finding_payload(
        monitor.key, batch, detector="never_issued_scan", evidence=evidence, actor=actor, scans=scans
    )


def test_a_finding_of_never_issued_codes_is_borne_out_by_the_log(cast: Cast, monitor: Party) -> None:
    """Its batch's production issued none of its codes (0001-0100 here), or its lot was never produced under a
    GS1 prefix of the actor it names, whose registration it cites."""
    registration = str(cast.log.row("actors", cast.producer.id)["registration"])
    beyond, issued = f"{cast.batch}/21/0101", f"{cast.batch}/21/0100"
    fake_lot = batch_subject(gtin(PREFIX, 1), "FAKE-1").path
    producer, merchant = cast.producer.id, cast.merchant.id
    unfounded = [
        (cast.batch, [issued], [cast.production], producer, "was issued: batch"),
        (cast.batch, [cast.batch], [cast.production], producer, "was issued"),
        (cast.batch, [beyond], [registration], producer, "cites its production"),
        (cast.batch, [beyond], [cast.production], merchant, "names its producer"),
        (cast.batch, [f"{fake_lot}/21/0001"], [cast.production], producer, "is not of batch"),
        (fake_lot, [fake_lot], [registration], merchant, "under no GS1 company prefix of"),
        (fake_lot, [fake_lot], [cast.production], producer, "cites no registration of"),
    ]
    for batch, codes, evidence, actor, detail in unfounded:
        payload = _scans_finding(monitor, batch, codes, evidence, actor)
        assert detail in cast.log.refuse(errors.ScanFindingUnfounded, payload, monitor.key)
    about_item = _scans_finding(monitor, issued, [beyond], [cast.production], producer)
    assert "about the codes' batch" in cast.log.refuse(errors.ScanFindingUnfounded, about_item, monitor.key)

    first = cast.log.decide(_scans_finding(monitor, cast.batch, [beyond], [cast.production], producer), monitor.key)
    other = cast.log.decide(_scans_finding(monitor, fake_lot, [fake_lot], [registration], producer), monitor.key)
    assert cast.log.row("risks", first)["evidence"] == [cast.production]
    # another lot under the same prefix cites the same registration, but is another finding; the same lot is not
    another_lot = batch_subject(gtin(PREFIX, 1), "FAKE-2").path
    cast.log.decide(_scans_finding(monitor, another_lot, [another_lot], [registration], producer), monitor.key)
    again = _scans_finding(monitor, fake_lot, [f"{fake_lot}/21/0001"], [registration], producer)
    assert other in cast.log.refuse(errors.FindingExists, again, monitor.key)


def test_scans_belong_to_the_scans_detector_alone_and_have_one_form() -> None:
    ids = ["a" * 64]
    batch = "01/06901234000016/10/LOT1"
    scans = {"codes": [batch], "count": 1, "first": "2026-11-30T08:00:00Z", "last": "2026-11-30T08:00:00Z",
             "places": []}  # fmt: skip
    validate_data("risk.finding", batch, {"detector": "never_issued_scan", "evidence": ids, "scans": scans})
    bad = [
        ({"detector": "never_issued_scan", "evidence": ids}, "only by it"),
        ({"detector": "repeated_serial", "evidence": ids, "scans": scans}, "only by it"),
        ({"detector": "never_issued_scan", "evidence": ids, "scans": {**scans, "count": 0}}, "data.scans.count"),
        ({"detector": "never_issued_scan", "evidence": ids, "scans": {**scans, "places": ["b", "a"]}}, "sorted"),
        ({"detector": "never_issued_scan", "evidence": ids,
          "scans": {**scans, "last": "2026-11-30T07:00:00Z"}}, "no later than the last"),
        ({"detector": "never_issued_scan", "evidence": ids, "scans": {**scans, "codes": ["actor/x"]}}, "codes"),
    ]  # fmt: skip
    for data, named in bad:
        with pytest.raises((errors.InvalidPayload, errors.InvalidIdentifier), match=named):
            validate_data("risk.finding", batch, data)
