"""The ``data`` schema of each event kind (DESIGN §4), as strict pydantic models.

Schemas check shapes only (types, ranges, identifier syntax); whether an event is *allowed* is decided by
``ledger.rules`` against the state. Models are strict: no coercion, no unknown fields, so one payload has one
meaning. Free text (review text, complaint details, inspection reports) never appears here: it travels as an
attachment, so it can be erased without breaking a signature.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ledger.errors import InvalidIdentifier, InvalidPayload
from ledger.events.payload import DIGEST_RE, parse_time
from ledger.identifiers import parse_subject, validate_company_prefix, validate_uscc

ROLES = ("producer", "merchant", "courier", "regulator", "registrar", "lab", "witness", "monitor")
CATEGORIES = ("food", "drug", "medical_device", "agricultural_product", "agricultural_input")
COMPLAINT_CATEGORIES = (
    "counterfeit", "quality", "mismatch", "price_fraud", "false_advertising",
    "service_breach", "privacy", "fake_review", "logistics", "other",
)  # fmt: skip
#: The hotlines whose complaints a regulator (or another registered actor) imports: SAMR's consumer line 12315, the
#: commerce ministry's 12312, the culture market's 12318, the price line 12358, the central bank's financial consumer
#: line 12363 and the quality supervision line 12365.
HOTLINES = ("12312", "12315", "12318", "12358", "12363", "12365")
#: Where a complaint came in. ``consumer`` (the default, so it is left out of the data) is a consignee key's own
#: complaint, from the consumer page or ``consumer complain``; ``platform`` and ``inspection`` were logged before the
#: hotlines were listed and still replay.
COMPLAINT_CHANNELS = ("consumer", *HOTLINES, "platform", "inspection")
#: Why a complaint was resolved as it was; a fixed list, so no free text enters the log (details go in an attachment).
RESOLUTION_REASONS = (
    "violation_found", "no_violation", "insufficient_evidence", "mediation_agreement", "complainant_withdrew",
    "outside_scope", "duplicate", "other",
)  # fmt: skip
#: Why an attachment's content is erased; a fixed list, so no personal data or free text enters the log.
ERASURE_REASONS = ("pipl_request", "court_order", "unlawful_content", "never_uploaded", "other")
#: The risk detectors whose findings a monitor logs (``ledger.risk`` states each one's rule and thresholds).
DETECTORS = (
    "no_independent_custody", "captive_consignee", "receipt_burst", "review_burst", "impossible_travel",
    "repeated_serial", "captive_reviewer", "never_issued_scan",
)  # fmt: skip
SCAN_DETECTOR = "never_issued_scan"  # the one detector that reads the portal's scans, and attests to them
MAX_EVIDENCE = 64
MAX_SCANNED_CODES = 16
MAX_SCAN_PLACES = 16
MAX_QUANTITY = 10**12
# Event data holds names, places and labels shown on pages, in terminals and in exports: none needs a control
# character, and each can make it show something else (a carriage return overwrites a line, an escape sequence
# recolours a terminal, U+0085 breaks a line). Free text, where line breaks belong, travels as an attachment.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class _BadIdentifier(ValueError):
    """Carries an identifier's own error through pydantic, so it is reported as InvalidIdentifier."""


def _identifier(check: Callable[[str], str]) -> Callable[[str], str]:
    def wrapped(value: str) -> str:
        try:
            return check(value)
        except InvalidIdentifier as exc:
            raise _BadIdentifier(exc.detail) from None

    return wrapped


def _time(value: str) -> str:
    parse_time(value, "time")
    return value


def _date(value: str) -> str:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date YYYY-MM-DD") from None
    if len(value) != 10:
        raise ValueError(f"{value!r} is not a date YYYY-MM-DD")
    return value


def _public_key(value: str) -> str:
    try:
        raw = base64.b64decode(value, validate=True)
    except binascii.Error:
        raise ValueError("not base64") from None
    if len(raw) != 32 or base64.b64encode(raw).decode("ascii") != value:
        raise ValueError("not a canonical base64 32-byte Ed25519 public key")
    return value


def _subject_of(kinds: tuple[str, ...]) -> Any:
    def check(value: str) -> str:
        subject = parse_subject(value)
        if subject.path != value:
            raise ValueError(f"subject path {value!r} is not canonical (write {subject.path!r})")
        if subject.kind not in kinds:
            raise ValueError(f"{value!r} is a {subject.kind}, expected a {' or '.join(kinds)}")
        return value

    return AfterValidator(_identifier(check))


def _uscc(value: str) -> str:
    if validate_uscc(value) != value:
        raise ValueError(f"USCC {value!r} must be written in upper case")
    return value


Time = Annotated[str, AfterValidator(_time)]
Day = Annotated[str, AfterValidator(_date)]
PublicKey = Annotated[str, AfterValidator(_public_key)]
ActorId = Annotated[str, AfterValidator(_identifier(_uscc))]
BatchPath = Annotated[str, _subject_of(("batch",))]
ProductPath = Annotated[str, _subject_of(("batch", "item"))]
ParcelPath = Annotated[str, _subject_of(("parcel",))]
Label = Annotated[str, Field(min_length=1, max_length=200)]
Quantity = Annotated[int, Field(gt=0, le=MAX_QUANTITY)]
EventId = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class _Schema(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        """No text in event data holds a control character, whatever field or list of texts it is in."""
        for text in value if isinstance(value, list) else [value]:
            found = _CONTROL.search(text) if isinstance(text, str) else None
            if found is not None:
                raise ValueError(f"text holds the control character U+{ord(found.group()):04X}")
        return value


class Licence(_Schema):
    type: Annotated[str, Field(pattern=r"^[a-z][a-z_]{1,40}$")]
    number: Annotated[str, Field(min_length=1, max_length=64)]
    valid_until: Time


class KeyGrant(_Schema):
    public_key: PublicKey
    valid_until: Time | None = None


class Registrar(_Schema):
    id: ActorId
    name: Label
    keys: Annotated[list[PublicKey], Field(min_length=1, max_length=16)]


class Genesis(_Schema):
    origin: Label
    log_vkey: Annotated[str, Field(min_length=1, max_length=300)]
    operator_key: PublicKey
    registrars: Annotated[list[Registrar], Field(min_length=1, max_length=32)]


class ActorRegister(_Schema):
    name: Label
    roles: Annotated[list[Literal[ROLES]], Field(min_length=1, max_length=len(ROLES))]  # type: ignore[valid-type]
    licences: Annotated[list[Licence], Field(max_length=32)]
    gs1_prefixes: Annotated[
        list[Annotated[str, AfterValidator(_identifier(validate_company_prefix))]], Field(max_length=32)
    ]
    keys: Annotated[list[KeyGrant], Field(max_length=16)]

    @model_validator(mode="after")
    def _distinct(self) -> ActorRegister:
        if len(set(self.roles)) != len(self.roles) or self.roles != sorted(self.roles):
            raise ValueError("roles must be distinct and sorted")
        if len({k.public_key for k in self.keys}) != len(self.keys):
            raise ValueError("a key is listed twice")
        return self


class ActorKeys(_Schema):
    add: Annotated[list[KeyGrant], Field(max_length=16)]
    revoke: Annotated[list[Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]], Field(max_length=16)]

    @model_validator(mode="after")
    def _something(self) -> ActorKeys:
        if not self.add and not self.revoke:
            raise ValueError("an actor.keys event adds or revokes at least one key")
        return self


class ProductionInput(_Schema):
    """How much of an input batch a production used: taken from the producer's stock of it."""

    batch: BatchPath
    quantity: Quantity


class Production(_Schema):
    product: Label
    category: Literal[CATEGORIES]  # type: ignore[valid-type]
    quantity: Quantity
    unit: Annotated[str, Field(min_length=1, max_length=16)]
    expiry: Day | None = None
    place: Label
    #: The quantity used of each input batch (whose productions are the parents). Absent in productions that only
    #: name their inputs by parent, as the first version of the log wrote them: those consumed no stock.
    inputs: Annotated[list[ProductionInput], Field(min_length=1, max_length=64)] | None = None
    #: A drug's label facts (issue 15), optional so that every earlier production still replays: its approval
    #: number (批准文号, e.g. 国药准字Z53021234), its strength (规格) and an https link to its leaflet (说明书).
    approval_number: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    strength: Label | None = None
    leaflet: Annotated[str, Field(pattern=r"^https://[!-~]{1,500}$")] | None = None

    @model_validator(mode="after")
    def _inputs_once(self) -> Production:
        if self.inputs is not None and len({i.batch for i in self.inputs}) != len(self.inputs):
            raise ValueError("each input batch appears once in the inputs")
        return self


class Inspection(_Schema):
    result: Literal["pass", "fail"]
    standard: Label


class Listing(_Schema):
    price: Annotated[int, Field(ge=0, le=MAX_QUANTITY)]  # minor units (fen)
    currency: Literal["CNY"]


class ParcelContent(_Schema):
    batch: BatchPath
    quantity: Quantity
    serials: Annotated[list[Annotated[str, Field(min_length=1, max_length=20)]], Field(max_length=1000)] = []

    @model_validator(mode="after")
    def _serials_count(self) -> ParcelContent:
        if self.serials and (len(self.serials) != self.quantity or len(set(self.serials)) != len(self.serials)):
            raise ValueError("serials, when given, are distinct and as many as the quantity")
        return self


class Dispatch(_Schema):
    type: Literal["dispatch"]
    contents: Annotated[list[ParcelContent], Field(min_length=1, max_length=64)]
    to: ActorId | None = None
    consignee_key: PublicKey | None = None
    location: Label

    @model_validator(mode="after")
    def _one_destination(self) -> Dispatch:
        if (self.to is None) == (self.consignee_key is None):
            raise ValueError("a dispatch names exactly one of to (an actor) and consignee_key (a consumer)")
        if len({c.batch for c in self.contents}) != len(self.contents):
            raise ValueError("each batch appears once in the contents")
        return self


class Handoff(_Schema):
    type: Literal["handoff"]
    from_: Annotated[ActorId, Field(alias="from")]
    location: Label


class Aggregation(_Schema):
    """Parcels (cases) loaded onto a new parcel (a pallet) by their custodian: they travel as one until split."""

    type: Literal["aggregation"]
    parcels: Annotated[list[ParcelPath], Field(min_length=1, max_length=64)]
    location: Label

    @model_validator(mode="after")
    def _distinct(self) -> Aggregation:
        if len(set(self.parcels)) != len(self.parcels):
            raise ValueError("each parcel appears once on the pallet")
        return self


class Disaggregation(_Schema):
    """A pallet split by its custodian: each case on it continues alone."""

    type: Literal["disaggregation"]
    location: Label


class Signature(_Schema):
    condition: Literal["intact", "damaged", "refused"]


class Review(_Schema):
    rating: Annotated[int, Field(ge=1, le=5)]


class Rating(_Schema):
    """A consignee's rating of its parcel's sender or of a courier that carried it, or a sender's of the buyer."""

    rating: Annotated[int, Field(ge=1, le=5)]


MAX_HOURS = 24 * 366


class Commitment(_Schema):
    """What a producer or shop promises its buyers until ``valid_until`` (replacing its previous commitment):
    7-day no-reason returns (七天无理由退货), compensation first (先行赔付), delivery within so many hours, and
    taking a return back within so many hours of its request."""

    returns_7d: bool = False
    compensation_first: bool = False
    delivery_within_hours: Annotated[int, Field(ge=1, le=MAX_HOURS)] | None = None
    return_within_hours: Annotated[int, Field(ge=1, le=MAX_HOURS)] | None = None
    valid_until: Time

    @model_validator(mode="after")
    def _promises_something(self) -> Commitment:
        if not (self.returns_7d or self.compensation_first or self.delivery_within_hours):
            raise ValueError("a commitment promises returns_7d, compensation_first or delivery_within_hours")
        if self.return_within_hours is not None and not self.returns_7d:
            raise ValueError("return_within_hours belongs to a returns_7d commitment")
        return self


class ReturnRequest(_Schema):
    """A consignee sends goods it signed for back to their sender, handing them to ``courier`` (who co-signs)."""

    courier: ActorId
    location: Label


class Complaint(_Schema):
    category: Literal[COMPLAINT_CATEGORIES]  # type: ignore[valid-type]
    channel: Literal[COMPLAINT_CHANNELS] = "consumer"  # type: ignore[valid-type]


class ComplaintResolution(_Schema):
    outcome: Literal["upheld", "rejected", "compensated", "withdrawn"]
    compensation: Annotated[int, Field(ge=0, le=MAX_QUANTITY)] = 0  # minor units (fen)
    # Required of resolutions logged from ledger.rules.feedback.REASON_REQUIRED_FROM on; older ones replay without.
    reason: Literal[RESOLUTION_REASONS] | None = None  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _amount_when_compensated(self) -> ComplaintResolution:
        """A compensation names what was paid, so it is given (over 0 fen) exactly when the outcome says it was."""
        if (self.outcome == "compensated") != (self.compensation > 0):
            if self.outcome == "compensated":
                raise ValueError("a compensated outcome needs its compensation, in fen, over 0")
            raise ValueError(f"an outcome {self.outcome} carries no compensation; only a compensated one does")
        return self


class Recall(_Schema):
    reason: Literal["safety", "quality", "labelling", "counterfeit", "regulatory", "other"]
    level: Literal[1, 2, 3]
    finding: EventId | None = None  # the risk.finding this recall acts on


class ScannedCodes(_Schema):
    """What a monitor saw on the portal, beside the log, of a batch's codes never issued: which codes, how many
    scans, when and in which cities (no device, network or person)."""

    codes: Annotated[list[ProductPath], Field(min_length=1, max_length=MAX_SCANNED_CODES)]
    count: Quantity
    first: Time
    last: Time
    places: Annotated[list[Label], Field(max_length=MAX_SCAN_PLACES)]

    @model_validator(mode="after")
    def _one_form(self) -> ScannedCodes:
        if self.codes != sorted(set(self.codes)) or self.places != sorted(set(self.places)):
            raise ValueError("codes and places are distinct and sorted")
        if self.count < len(self.codes) or parse_time(self.last, "last") < parse_time(self.first, "first"):
            raise ValueError("each code was scanned at least once, the first scan no later than the last")
        return self


class RiskFinding(_Schema):
    """What a monitor's detector found: the detector, the actor at issue (if one) and the logged evidence; the
    scans detector's findings also carry the scans it counted."""

    detector: Literal[DETECTORS]  # type: ignore[valid-type]
    evidence: Annotated[list[EventId], Field(min_length=1, max_length=MAX_EVIDENCE)]
    actor: ActorId | None = None
    scans: ScannedCodes | None = None

    @model_validator(mode="after")
    def _sorted_evidence(self) -> RiskFinding:
        """One finding has one form: its evidence ids sorted and distinct; scans exactly for the scans detector."""
        if self.evidence != sorted(set(self.evidence)):
            raise ValueError("evidence event ids are distinct and sorted")
        if (self.scans is not None) != (self.detector == SCAN_DETECTOR):
            raise ValueError(f"scans are counted by the {SCAN_DETECTOR} detector, and only by it")
        return self


class Sanction(_Schema):
    list: Literal["black", "red"]
    reason: Label
    until: Time | None = None
    lift: bool = False
    finding: EventId | None = None  # the risk.finding this sanction acts on


class AttachmentErasure(_Schema):
    digest: Annotated[str, Field(pattern=f"^{DIGEST_RE.pattern}$")]
    reason: Literal[ERASURE_REASONS]  # type: ignore[valid-type]


#: Any kind's data, as its validated model.
EventData = (
    Genesis
    | ActorRegister
    | ActorKeys
    | Production
    | Inspection
    | Listing
    | Dispatch
    | Handoff
    | Aggregation
    | Disaggregation
    | Signature
    | Review
    | Complaint
    | ComplaintResolution
    | Recall
    | Sanction
    | AttachmentErasure
    | RiskFinding
    | Rating
    | Commitment
    | ReturnRequest
)

SCHEMAS: dict[str, type[EventData]] = {
    "genesis": Genesis,
    "actor.register": ActorRegister,
    "actor.keys": ActorKeys,
    "production": Production,
    "inspection": Inspection,
    "listing": Listing,
    "shipment": Dispatch,  # or Handoff, Aggregation, Disaggregation: see SHIPMENT_TYPES
    "signature": Signature,
    "review": Review,
    "complaint": Complaint,
    "complaint.resolution": ComplaintResolution,
    "recall": Recall,
    "sanction": Sanction,
    "attachment.erasure": AttachmentErasure,
    "risk.finding": RiskFinding,
    "rating": Rating,
    "commitment": Commitment,
    "return.request": ReturnRequest,
}
SHIPMENT_TYPES: dict[str, type[Dispatch | Handoff | Aggregation | Disaggregation]] = {
    "dispatch": Dispatch, "handoff": Handoff, "aggregation": Aggregation, "disaggregation": Disaggregation,
}  # fmt: skip
SUBJECT_KINDS: dict[str, tuple[str, ...]] = {
    "genesis": ("log",),
    "actor.register": ("actor",),
    "actor.keys": ("actor",),
    "production": ("batch",),
    "inspection": ("batch",),
    "listing": ("batch",),
    "shipment": ("parcel",),
    "signature": ("parcel",),
    "review": ("batch", "item"),
    "complaint": ("batch", "item", "parcel", "actor"),
    "complaint.resolution": ("batch", "item", "parcel", "actor"),
    "recall": ("batch",),
    "sanction": ("actor",),
    "attachment.erasure": ("batch", "item", "parcel", "actor"),  # the subject of the event that committed to it
    "risk.finding": ("batch", "item", "parcel", "actor"),
    "rating": ("actor", "parcel"),  # the courier or sender rated, or the parcel whose buyer is rated
    "commitment": ("actor",),  # the actor that commits itself
    "return.request": ("parcel",),  # the return parcel it starts
}


def validate_data(kind: str, subject: str, data: Any) -> EventData:
    """The kind's data model for ``data``; raises ``InvalidPayload`` naming the first bad field."""
    parsed = parse_subject(subject)
    if parsed.path != subject:
        raise InvalidPayload(f"subject {subject!r} is not canonical; write {parsed.path!r}")
    if parsed.kind not in SUBJECT_KINDS[kind]:
        raise InvalidPayload(f"a {kind} event is about a {' or '.join(SUBJECT_KINDS[kind])}, not a {parsed.kind}")
    model = SCHEMAS[kind]
    if kind == "shipment" and isinstance(data, dict):  # a dispatch or a handoff, told apart by data.type
        model = SHIPMENT_TYPES.get(str(data.get("type")), model)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in ("data", *error["loc"]))
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, _BadIdentifier):
            raise InvalidIdentifier(f"{where}: {cause}") from None
        raise InvalidPayload(f"{where}: {error['msg']}") from None
