"""Each actor's credit file (view ``credit``): what the log holds about it, one section per kind of fact.

After an event's rule has passed, ``record`` hands it to the recorder of its kind, which adds the facts it makes
to the files of the actors concerned (each fact names the event that produced it) and derives the file's credit
level again (``ledger.rules.credit``) as of that event's logged_at. Reindex and the audit run the same code, so a
stored file that differs from the replay's is named. A new kind of fact is a section in
``ledger.rules.views.CreditSections`` and a recorder here that calls ``touch``.
"""

from __future__ import annotations

from collections.abc import Callable

from ledger.events.schemas import (
    ActorRegister,
    Complaint,
    Genesis,
    Inspection,
    Recall,
    Review,
    RiskFinding,
    Sanction,
)
from ledger.identifiers import parse_subject
from ledger.rules.context import Context
from ledger.rules.credit import credit_level
from ledger.rules.feedback import complained_about
from ledger.rules.views import (
    ACTORS,
    BATCHES,
    COMPLAINTS,
    CREDIT,
    KEYS,
    RATINGS,
    RECEIPTS,
    REVIEWS,
    RISKS,
    CommitmentFact,
    CommitmentRow,
    ComplaintFact,
    CreditRow,
    CreditSections,
    InspectionFact,
    OpenReturnFact,
    RatingTally,
    RecallFact,
    RegistrationFact,
    RiskFact,
    SanctionFact,
)

Update = Callable[[CreditSections], CreditSections]


def touch(ctx: Context, actor_id: str, update: Update) -> None:
    """Replace the sections of ``actor_id``'s file by ``update``'s (which builds new lists, never changes the old
    ones in place) and derive its level again as of this event."""
    stored = ctx.state.get(CREDIT, actor_id)
    sections = update(stored["sections"].copy() if stored else {})
    row: CreditRow = {
        "actor": actor_id, "as_of": ctx.stamp, "touched_by": ctx.event_id, "sections": sections,
        "level": credit_level(sections, ctx.logged_at),
    }  # fmt: skip
    ctx.state.put(CREDIT, actor_id, row)


def rated(tally: RatingTally | None, rating: int, event_id: str) -> RatingTally:
    """A tally of ratings (1 to 5) with one more."""
    before = tally or {"count": 0, "sum": 0, "stars": [0] * 5, "latest": event_id}
    stars = list(before["stars"])
    stars[rating - 1] += 1
    return {"count": before["count"] + 1, "sum": before["sum"] + rating, "stars": stars, "latest": event_id}


def _signer_id(ctx: Context) -> str:
    """The USCC of the registered actor that signed (the rules have checked there is one)."""
    key = ctx.state.get(KEYS, ctx.signer_kid)
    assert key is not None
    return key["actor"]


def _subject_actor(ctx: Context) -> str:
    actor_id = parse_subject(ctx.subject).actor_id
    assert actor_id is not None  # the kind's schema admits only actor subjects
    return actor_id


def _registration(ctx: Context, actor_id: str, by: str | None, data: ActorRegister) -> None:
    fact: RegistrationFact = {
        "event": ctx.event_id, "at": ctx.stamp, "by": by, "name": data.name, "roles": list(data.roles),
        "licences": [
            {"type": lc.type, "number": lc.number, "valid_until": lc.valid_until} for lc in data.licences
        ],
    }  # fmt: skip
    touch(ctx, actor_id, lambda s: {**s, "registrations": [*s.get("registrations", []), fact]})


def genesis(ctx: Context) -> None:
    for registrar in ctx.data(Genesis).registrars:
        named = ActorRegister(name=registrar.name, roles=["registrar"], licences=[], gs1_prefixes=[], keys=[])
        _registration(ctx, registrar.id, None, named)


def register(ctx: Context) -> None:
    _registration(ctx, _subject_actor(ctx), _signer_id(ctx), ctx.data(ActorRegister))


def _acted_on(ctx: Context, finding_id: str | None) -> None:
    """A sanction or recall acting on a risk finding: the finding's fact shows it acted (the rule set the row)."""
    finding = ctx.state.get(RISKS, finding_id) if finding_id else None
    if finding is None or finding["actor"] is None:
        return

    def acted(s: CreditSections) -> CreditSections:
        facts: list[RiskFact] = [
            {**f, "status": finding["status"], "actions": list(finding["actions"])} if f["event"] == finding_id else f
            for f in s.get("risk_findings", [])
        ]
        return {**s, "risk_findings": facts}

    touch(ctx, finding["actor"], acted)


def sanction(ctx: Context) -> None:
    data = ctx.data(Sanction)
    by = _signer_id(ctx)
    if data.lift:
        lifted = ctx.parents()[0]

        def lift(s: CreditSections) -> CreditSections:
            facts: list[SanctionFact] = [
                {**f, "lifted": {"event": ctx.event_id, "at": ctx.stamp, "by": by}} if f["event"] == lifted else f
                for f in s.get("sanctions", [])
            ]
            return {**s, "sanctions": facts}

        touch(ctx, _subject_actor(ctx), lift)
    else:
        fact: SanctionFact = {
            "event": ctx.event_id, "at": ctx.stamp, "list": data.list, "by": by, "reason": data.reason,
            "until": data.until, "finding": data.finding, "lifted": None,
        }  # fmt: skip
        touch(ctx, _subject_actor(ctx), lambda s: {**s, "sanctions": [*s.get("sanctions", []), fact]})
    _acted_on(ctx, data.finding)


def _producer(ctx: Context) -> str:
    batch_path = parse_subject(ctx.subject).batch_path
    batch = ctx.state.get(BATCHES, batch_path) if batch_path else None
    assert batch is not None  # the rule found the batch
    return batch["producer"]


def recall(ctx: Context) -> None:
    data = ctx.data(Recall)
    producer, by = _producer(ctx), _signer_id(ctx)
    signer = ctx.state.get(ACTORS, by)
    ordered = by != producer and signer is not None and "regulator" in signer["roles"]
    fact: RecallFact = {
        "event": ctx.event_id, "at": ctx.stamp, "batch": ctx.subject, "by": by, "ordered": ordered,
        "reason": data.reason, "level": data.level,
    }  # fmt: skip
    touch(ctx, producer, lambda s: {**s, "recalls": [*s.get("recalls", []), fact]})
    _acted_on(ctx, data.finding)


def inspection(ctx: Context) -> None:
    data = ctx.data(Inspection)
    if data.result != "fail":
        return
    fact: InspectionFact = {
        "event": ctx.event_id, "at": ctx.stamp, "batch": ctx.subject, "by": _signer_id(ctx), "standard": data.standard,
    }  # fmt: skip
    touch(ctx, _producer(ctx), lambda s: {**s, "inspections_failed": [*s.get("inspections_failed", []), fact]})


def complaint(ctx: Context) -> None:
    about = complained_about(ctx, ctx.subject)
    if about is None:
        return
    data = ctx.data(Complaint)
    fact: ComplaintFact = {
        "event": ctx.event_id, "at": ctx.stamp, "subject": ctx.subject, "category": data.category,
        "channel": data.channel, "outcome": None, "reason": None, "resolution": None, "resolved_at": None,
        "resolution_seconds": None,
    }  # fmt: skip
    touch(ctx, about, lambda s: {**s, "complaints": [*s.get("complaints", []), fact]})


def resolution(ctx: Context) -> None:
    about = complained_about(ctx, ctx.subject)
    if about is None:
        return
    complaint_id = ctx.parents()[0]
    row = ctx.state.get(COMPLAINTS, complaint_id)  # as ledger.rules.feedback.resolution has just resolved it
    assert row is not None

    def resolve(fact: ComplaintFact) -> ComplaintFact:
        return {
            **fact, "outcome": row["outcome"], "reason": row["reason"], "resolution": ctx.event_id,
            "resolved_at": ctx.stamp, "resolution_seconds": row["resolution_seconds"],
        }  # fmt: skip

    def resolved(s: CreditSections) -> CreditSections:
        facts = [resolve(f) if f["event"] == complaint_id else f for f in s.get("complaints", [])]
        return {**s, "complaints": facts}

    touch(ctx, about, resolved)


def review(ctx: Context) -> None:
    """A review (a first one or its follow-up: both count, as in the batch's rating) rates the batch's producer
    and, when another, the sender the consumer bought from."""
    reviewed = ctx.state.get(REVIEWS, ctx.event_id)
    receipt = ctx.state.get(RECEIPTS, reviewed["receipt"]) if reviewed else None
    assert receipt is not None  # the rule recorded the review and its receipt
    rating = ctx.data(Review).rating
    for actor_id in dict.fromkeys((_producer(ctx), receipt["sender"])):
        touch(ctx, actor_id, lambda s: {**s, "ratings": rated(s.get("ratings"), rating, ctx.event_id)})


def finding(ctx: Context) -> None:
    data = ctx.data(RiskFinding)
    if data.actor is None:
        return
    fact: RiskFact = {
        "event": ctx.event_id, "at": ctx.stamp, "detector": data.detector, "subject": ctx.subject, "status": "open",
        "actions": [],
    }  # fmt: skip
    touch(ctx, data.actor, lambda s: {**s, "risk_findings": [*s.get("risk_findings", []), fact]})


def rating(ctx: Context) -> None:
    """A mutual rating of a courier or a sender goes in its file (a buyer is a consignee key, with no file)."""
    row = ctx.state.get(RATINGS, ctx.event_id)
    assert row is not None  # the rule recorded it
    value = row["rating"]

    def as_courier(s: CreditSections) -> CreditSections:
        return {**s, "ratings_as_courier": rated(s.get("ratings_as_courier"), value, ctx.event_id)}

    def as_sender(s: CreditSections) -> CreditSections:
        return {**s, "ratings_as_sender": rated(s.get("ratings_as_sender"), value, ctx.event_id)}

    update = {"courier": as_courier, "sender": as_sender}.get(row["role"])
    if update is not None:
        touch(ctx, row["ratee"], update)


#: The promised term a late delivery or a late return breaks (facts name terms as the commitment's data does).
BROKEN_TERMS = {"delivery": "delivery_within_hours", "return": "returns_7d"}


def commitment_made(ctx: Context, actor_id: str, row: CommitmentRow, replaced: str | None) -> None:
    """A commitment files one fact per term it promises; the terms of the one it replaces were kept if unbroken."""
    terms = {
        "returns_7d": row["returns_7d"], "compensation_first": row["compensation_first"],
        "delivery_within_hours": row["delivery_within_hours"] is not None,
    }  # fmt: skip
    promised = [name for name, made in terms.items() if made]

    def made(s: CreditSections) -> CreditSections:
        kept: list[CommitmentFact] = [
            {**f, "status": "kept"} if f["event"] == replaced and f["status"] == "made" else f
            for f in s.get("commitments", [])
        ]
        new: list[CommitmentFact] = [
            {"event": ctx.event_id, "at": ctx.stamp, "commitment": name, "status": "made", "broken_by": None}
            for name in promised
        ]
        return {**s, "commitments": kept + new}

    touch(ctx, actor_id, made)


def commitment_broken(ctx: Context, actor_id: str, commitment_id: str, term: str) -> None:
    """A late delivery or return breaks the commitment's term (the first such event is named)."""
    name = BROKEN_TERMS[term]

    def broken(s: CreditSections) -> CreditSections:
        facts: list[CommitmentFact] = [
            {**f, "status": "broken", "broken_by": ctx.event_id}
            if (f["event"], f["commitment"]) == (commitment_id, name) and f["status"] != "broken" else f
            for f in s.get("commitments", [])
        ]  # fmt: skip
        return {**s, "commitments": facts}

    touch(ctx, actor_id, broken)


def return_opened(ctx: Context, actor_id: str, fact: OpenReturnFact) -> None:
    """A return request puts the return, with its due time, in its sender's file until the sender takes it back."""
    touch(ctx, actor_id, lambda s: {**s, "returns_open": [*s.get("returns_open", []), fact]})


def return_closed(ctx: Context, actor_id: str, request_id: str) -> None:
    """The sender took the return back (in time or late: a late arrival also breaks the promise itself)."""
    touch(
        ctx,
        actor_id,
        lambda s: {**s, "returns_open": [r for r in s.get("returns_open", []) if r["event"] != request_id]},
    )


RECORDERS: dict[str, Callable[[Context], None]] = {
    "genesis": genesis,
    "actor.register": register,
    "sanction": sanction,
    "recall": recall,
    "inspection": inspection,
    "complaint": complaint,
    "complaint.resolution": resolution,
    "review": review,
    "risk.finding": finding,
    "rating": rating,
}


def record(ctx: Context) -> None:
    """Add the facts an accepted event makes to the credit files of the actors it concerns."""
    recorder = RECORDERS.get(ctx.event.payload.kind)
    if recorder is not None:
        recorder(ctx)
