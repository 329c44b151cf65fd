"""Builders of event payloads, one per kind (DESIGN §4), shared by the CLI, the demo and the tests.

Each returns an unsigned ``EventPayload`` whose actor is the signing key's kid; the caller signs it with
``sign_event(payload, [key, ...])``. Optional data fields are omitted when absent or default, never written as null.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ledger.events.attachments import AttachmentRef
from ledger.events.envelope import sign_event
from ledger.events.payload import EventPayload, format_time
from ledger.identifiers import actor_subject, batch_subject
from signer.dsse import Envelope
from signer.encoding import b64
from signer.keys import SigningKey
from signer.note import NoteSigner


@dataclass(frozen=True)
class Registrar:
    """A first registrar named in genesis: an organisation (USCC), its public name and its public keys."""

    actor_id: str
    name: str
    public_keys: tuple[bytes, ...]


def genesis_envelope(
    origin: str, log_key: SigningKey, registrars: Sequence[Registrar], *, time: datetime | None = None
) -> Envelope:
    """Entry 0: names the origin, the log's verifier key and the first registrars; signed by the log key."""
    payload = EventPayload(
        kind="genesis",
        subject="log",
        actor=log_key.kid,
        time=format_time(time or datetime.now(UTC)),
        data={
            "origin": origin,
            "log_vkey": NoteSigner(origin, log_key).vkey,
            "operator_key": b64(log_key.public_key),
            "registrars": [
                {"id": r.actor_id, "name": r.name, "keys": [b64(k) for k in r.public_keys]} for r in registrars
            ],
        },
    )
    return sign_event(payload, [log_key])


@dataclass(frozen=True)
class Licence:
    type: str  # e.g. food_production, drug_manufacturing, food_business
    number: str
    valid_until: str  # RFC 3339 UTC

    def to_json(self) -> dict[str, str]:
        return {"type": self.type, "number": self.number, "valid_until": self.valid_until}


def registration_payload(
    registrar: SigningKey,
    actor_id: str,
    name: str,
    roles: Sequence[str],
    public_keys: Sequence[bytes],
    *,
    licences: Sequence[Licence] = (),
    gs1_prefixes: Sequence[str] = (),
    parents: Sequence[str] = (),
    time: datetime | None = None,
) -> EventPayload:
    """An ``actor.register`` payload: a registrar vouches for an organisation's identity, roles and keys."""
    return EventPayload(
        kind="actor.register",
        subject=f"actor/{actor_id}",
        actor=registrar.kid,
        time=format_time(time or datetime.now(UTC)),
        parents=tuple(parents),
        data={
            "name": name,
            "roles": sorted(roles),
            "licences": [licence.to_json() for licence in licences],
            "gs1_prefixes": list(gs1_prefixes),
            "keys": [{"public_key": b64(k)} for k in public_keys],
        },
    )


def _payload(
    kind: str,
    signer: SigningKey,
    subject: str,
    time: datetime | None,
    data: Mapping[str, Any],
    *,
    parents: Sequence[str] = (),
    attachments: Sequence[AttachmentRef | None] = (),
) -> EventPayload:
    """An event payload signed by ``signer`` at ``time`` (default now), dropping absent attachments."""
    return EventPayload(
        kind=kind,
        subject=subject,
        actor=signer.kid,
        time=format_time(time or datetime.now(UTC)),
        parents=tuple(parents),
        data=dict(data),
        attachments=tuple(a for a in attachments if a is not None),
    )


def _present(**fields: Any) -> dict[str, Any]:
    """The given fields without those that are None, so optional data fields are omitted rather than null."""
    return {name: value for name, value in fields.items() if value is not None}


def key_update_payload(
    signer: SigningKey,
    actor_id: str,
    last_key_event: str,
    *,
    add: Sequence[tuple[bytes, str | None]] = (),
    revoke: Sequence[str] = (),
    time: datetime | None = None,
) -> EventPayload:
    """An ``actor.keys`` payload adding keys (each with an optional valid_until) and revoking kids."""
    grants = [_present(public_key=b64(key), valid_until=valid_until) for key, valid_until in add]
    data = {"add": grants, "revoke": list(revoke)}
    return _payload("actor.keys", signer, actor_subject(actor_id).path, time, data, parents=[last_key_event])


def production_payload(
    producer: SigningKey,
    gtin: str,
    lot: str,
    *,
    product: str,
    category: str,
    quantity: int,
    unit: str,
    place: str,
    expiry: str | None = None,
    inputs: Sequence[str] = (),
    used: Sequence[tuple[str, int]] = (),
    approval_number: str | None = None,
    strength: str | None = None,
    leaflet: str | None = None,
    time: datetime | None = None,
) -> EventPayload:
    """A ``production`` payload registering a new batch, following the productions of its input batches
    (``inputs``); ``used`` states how much of each input batch (by path) it takes from the producer's stock; a
    drug may carry its approval number, strength and leaflet link."""
    data = _present(
        product=product, category=category, quantity=quantity, unit=unit, expiry=expiry, place=place,
        approval_number=approval_number, strength=strength, leaflet=leaflet,
    )  # fmt: skip
    if used:
        data["inputs"] = [{"batch": batch, "quantity": amount} for batch, amount in used]
    return _payload("production", producer, batch_subject(gtin, lot).path, time, data, parents=inputs)


def inspection_payload(
    signer: SigningKey,
    batch_path: str,
    production_id: str,
    *,
    result: str,
    standard: str,
    report: AttachmentRef | None = None,
    time: datetime | None = None,
) -> EventPayload:
    """An ``inspection`` payload: a pass or fail against a standard, the report as an attachment."""
    data = {"result": result, "standard": standard}
    return _payload("inspection", signer, batch_path, time, data, parents=[production_id], attachments=[report])


def listing_payload(
    merchant: SigningKey,
    batch_path: str,
    production_id: str,
    *,
    price: int,
    currency: str = "CNY",
    time: datetime | None = None,
) -> EventPayload:
    """A ``listing`` payload: a merchant offers a batch for sale at a price in minor units."""
    data = {"price": price, "currency": currency}
    return _payload("listing", merchant, batch_path, time, data, parents=[production_id])


@dataclass(frozen=True)
class Content:
    """One line of a parcel's contents: a quantity drawn from a batch, optionally by serial."""

    batch: str
    quantity: int
    serials: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The content as dispatch data, without ``serials`` when there are none."""
        line: dict[str, Any] = {"batch": self.batch, "quantity": self.quantity}
        if self.serials:
            line["serials"] = list(self.serials)
        return line


def dispatch_payload(
    sender: SigningKey,
    parcel_path: str,
    contents: Sequence[Content],
    parents: Sequence[str],
    *,
    location: str,
    to: str | None = None,
    consignee_key: bytes | None = None,
    time: datetime | None = None,
) -> EventPayload:
    """A dispatch ``shipment`` payload: a parcel leaves for an actor (``to``) or a consumer's key."""
    consignee = None if consignee_key is None else b64(consignee_key)
    data = {
        "type": "dispatch",
        "contents": [content.to_json() for content in contents],
        **_present(to=to, consignee_key=consignee),
        "location": location,
    }
    return _payload("shipment", sender, parcel_path, time, data, parents=parents)


def handoff_payload(
    custodian: SigningKey,
    parcel_path: str,
    head: str,
    *,
    from_actor: str,
    location: str,
    time: datetime | None = None,
) -> EventPayload:
    """A handoff ``shipment`` payload: the new custodian takes the parcel from ``from_actor``."""
    data = {"type": "handoff", "from": from_actor, "location": location}
    return _payload("shipment", custodian, parcel_path, time, data, parents=[head])


def aggregation_payload(
    custodian: SigningKey,
    pallet_path: str,
    cases: Sequence[tuple[str, str]],
    *,
    location: str,
    time: datetime | None = None,
) -> EventPayload:
    """A ``shipment`` aggregation: the custodian loads parcels (each ``(path, custody head)``) onto a new pallet."""
    data = {"type": "aggregation", "parcels": [path for path, _ in cases], "location": location}
    return _payload("shipment", custodian, pallet_path, time, data, parents=sorted({head for _, head in cases}))


def disaggregation_payload(
    custodian: SigningKey, pallet_path: str, head: str, *, location: str, time: datetime | None = None
) -> EventPayload:
    """A ``shipment`` disaggregation: the pallet's custodian splits it, and each case on it continues alone."""
    data = {"type": "disaggregation", "location": location}
    return _payload("shipment", custodian, pallet_path, time, data, parents=[head])


def signature_payload(
    consignee: SigningKey, parcel_path: str, head: str, *, condition: str = "intact", time: datetime | None = None
) -> EventPayload:
    """A ``signature`` payload: the consignee signs for the parcel, intact, damaged or refused."""
    return _payload("signature", consignee, parcel_path, time, {"condition": condition}, parents=[head])


def review_payload(
    consignee: SigningKey,
    subject_path: str,
    parent: str,
    *,
    rating: int,
    text: AttachmentRef | None = None,
    time: datetime | None = None,
) -> EventPayload:
    """A ``review`` payload following a receipt (or the first review), its text as an attachment."""
    return _payload("review", consignee, subject_path, time, {"rating": rating}, parents=[parent], attachments=[text])


def rating_payload(
    rater: SigningKey, subject_path: str, parent: str, *, rating: int, time: datetime | None = None
) -> EventPayload:
    """A ``rating`` payload following a receipt (or the first rating, for the follow-up): a consignee rates
    ``actor/<USCC>`` (its parcel's sender or a courier that carried it), a sender rates the parcel's buyer."""
    return _payload("rating", rater, subject_path, time, {"rating": rating}, parents=[parent])


def commitment_payload(
    actor: SigningKey,
    actor_id: str,
    *,
    valid_until: str,
    returns_7d: bool = False,
    compensation_first: bool = False,
    delivery_within_hours: int | None = None,
    return_within_hours: int | None = None,
    replaces: str | None = None,
    time: datetime | None = None,
) -> EventPayload:
    """A ``commitment`` payload: what ``actor_id`` promises its buyers until ``valid_until``; ``replaces`` is its
    current commitment, when it has one."""
    data = _present(
        returns_7d=returns_7d or None, compensation_first=compensation_first or None,
        delivery_within_hours=delivery_within_hours, return_within_hours=return_within_hours, valid_until=valid_until,
    )  # fmt: skip
    parents = [] if replaces is None else [replaces]
    return _payload("commitment", actor, actor_subject(actor_id).path, time, data, parents=parents)


def return_request_payload(
    consignee: SigningKey,
    return_parcel: str,
    receipt: str,
    *,
    courier: str,
    location: str,
    time: datetime | None = None,
) -> EventPayload:
    """A ``return.request`` payload: the consignee of the receipt sends its goods back to their sender as
    ``return_parcel``, handing them to ``courier``; sign it with the consignee key and then the courier's."""
    data = {"courier": courier, "location": location}
    return _payload("return.request", consignee, return_parcel, time, data, parents=[receipt])


def complaint_payload(
    signer: SigningKey,
    subject_path: str,
    *,
    category: str,
    channel: str = "consumer",
    parents: Sequence[str] = (),
    details: AttachmentRef | None = None,
    time: datetime | None = None,
) -> EventPayload:
    """A ``complaint`` payload; the channel is omitted when it is the default, ``consumer``."""
    data = _present(category=category, channel=None if channel == "consumer" else channel)
    return _payload("complaint", signer, subject_path, time, data, parents=parents, attachments=[details])


def resolution_payload(
    signer: SigningKey,
    subject_path: str,
    complaint_id: str,
    *,
    outcome: str,
    reason: str,
    compensation: int = 0,
    details: AttachmentRef | None = None,
    time: datetime | None = None,
) -> EventPayload:
    """A ``complaint.resolution`` payload with its reason (details as an attachment); the compensation is omitted
    when it is zero."""
    data = _present(outcome=outcome, reason=reason, compensation=compensation or None)
    return _payload(
        "complaint.resolution", signer, subject_path, time, data, parents=[complaint_id], attachments=[details]
    )


def recall_payload(
    signer: SigningKey,
    batch_path: str,
    production_id: str,
    *,
    reason: str,
    level: int,
    finding: str | None = None,
    time: datetime | None = None,
) -> EventPayload:
    """A ``recall`` payload: the batch may no longer be listed or dispatched (except returns); ``finding`` names
    the risk finding it acts on."""
    data = _present(reason=reason, level=level, finding=finding)
    return _payload("recall", signer, batch_path, time, data, parents=[production_id])


def sanction_payload(
    regulator: SigningKey,
    actor_id: str,
    *,
    list_: str,
    reason: str,
    until: str | None = None,
    lifts: str | None = None,
    finding: str | None = None,
    time: datetime | None = None,
) -> EventPayload:
    """A ``sanction`` payload putting an actor on the black or red list, or lifting the sanction ``lifts``;
    ``finding`` names the risk finding it acts on."""
    data = _present(list=list_, reason=reason, until=until, lift=None if lifts is None else True, finding=finding)
    parents = [] if lifts is None else [lifts]
    return _payload("sanction", regulator, actor_subject(actor_id).path, time, data, parents=parents)


def erasure_payload(
    signer: SigningKey, subject_path: str, committed_by: str, *, digest: str, reason: str, time: datetime | None = None
) -> EventPayload:
    """An ``attachment.erasure`` payload: the content of ``digest``, committed to by event ``committed_by`` about
    ``subject_path``, is removed for good, for ``reason`` (one of ``ERASURE_REASONS``)."""
    data = {"digest": digest, "reason": reason}
    return _payload("attachment.erasure", signer, subject_path, time, data, parents=[committed_by])


def risk_finding_payload(
    monitor: SigningKey,
    subject_path: str,
    *,
    detector: str,
    evidence: Sequence[str],
    actor: str | None = None,
    scans: dict[str, Any] | None = None,
    time: datetime | None = None,
) -> EventPayload:
    """A ``risk.finding`` payload: what ``detector`` found about ``subject_path`` (and ``actor``), citing the
    logged events of ``evidence`` (sorted here, as the schema wants); ``scans`` is the scans detector's count
    (``data.scans``)."""
    data = _present(detector=detector, evidence=sorted(set(evidence)), actor=actor, scans=scans)
    return _payload("risk.finding", monitor, subject_path, time, data)
