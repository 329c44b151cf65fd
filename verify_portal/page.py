"""What a product page shows, read from the ledger: the header, the timeline of events, and the warnings.

Everything here is plain data for the templates, drawn from one snapshot of the log; the page never embeds the
history bundle itself (the browser fetches the one of the page's tree size, which the page names, and checks each
event against the log), so each timeline event carries the leaf index and event id that tie it to the bundle's
entry, and the kind and time exactly as signed, which the browser compares. Every value shown is a ``Shown``
bound to where the browser finds it among the entries it verified (``verify_portal.shown``); what the log
cannot vouch for (scans, witnesses, sanctions outside the bundle) is left unbound, marked unverified.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from ledger.credit_facts import average_tenths
from ledger.events import ParsedEvent, parse_time
from ledger.events.schemas import (
    Aggregation,
    AttachmentErasure,
    Complaint,
    ComplaintResolution,
    Disaggregation,
    Dispatch,
    EventData,
    Handoff,
    Inspection,
    Listing,
    Production,
    Recall,
    Review,
    RiskFinding,
    Sanction,
    Signature,
)
from ledger.history import History
from ledger.identifiers import parse_subject
from ledger.log.checkpoint import Checkpoint
from ledger.rules.goods import CATEGORY_LICENCES
from ledger.rules.serials import issued, issued_range
from ledger.rules.views import ACTORS, BATCHES, CREDIT, KEYS, SANCTIONS, BatchRow
from ledger.store.attachments import attachment_text
from ledger.store.ledger import LogReads, StoredEntry
from ledger.store.risks import flagged_reviews
from ledger.store.scans import Scan, scan_count, scans_of
from signer.note import parse_note
from verify_portal.copies import MAX_DEVICES_AFTER_RECEIPT, CopySuspicion, copy_suspicion
from verify_portal.i18n import Texts
from verify_portal.parties import PartyCredit, party_credit
from verify_portal.shown import (
    CHECKPOINT_SIZE,
    CONSUMER,
    Binding,
    Format,
    Line,
    Shown,
    attachment,
    entry,
    issuance,
    ratings,
    scanned,
)

LOCAL_TIME = ZoneInfo("Asia/Shanghai")  # consumers read times as the clock on their wall shows them
D = TypeVar("D", bound=EventData)


@dataclass(frozen=True)
class TimelineEvent:
    leaf_index: int
    event_id: str
    signed_kind: str  # the payload's kind and time, exactly as signed: verify.js checks them against the entry
    signed_time: str
    kind: str  # the CSS class: production, inspection, listing, dispatch, handoff, arrival, signature, ...
    title: Shown
    time: Shown  # the signer's claimed time, local
    actor: Shown
    details: tuple[Line, ...] = ()
    rating: int | None = None  # a review's, shown as stars
    stars: Shown | None = None
    text: Shown | None = None  # a review's text
    text_removed: bool = False  # its content was erased (or never uploaded): "content removed", not a mismatch
    warning: bool = False  # a failed inspection, a damaged or refused parcel, a complaint, a recall, a finding
    flagged: bool = False  # a review a risk finding flags (or whose receipt it flags): left out of the rating


@dataclass(frozen=True)
class HeaderField:
    label: str
    value: Line
    wide: bool = False  # a long value (a licence, a place) takes the header's full width


@dataclass(frozen=True)
class Banner:
    level: str  # danger or warning
    title: Line
    lines: tuple[Line, ...] = ()


@dataclass
class SubjectPage:
    subject: str
    kind: str  # batch, item or parcel
    heading: Line
    kind_label: Line
    producer: Shown | None = None
    producer_verified: Line | None = None  # "registered by ..." when the producer's registration is in the log
    fields: list[HeaderField] = field(default_factory=list)
    banners: list[Banner] = field(default_factory=list)
    events: list[TimelineEvent] = field(default_factory=list)
    log: tuple[Line, ...] = ()  # the checkpoint's size, its witnesses, the scans
    parties: list[PartyCredit] = field(default_factory=list)  # the producer and sellers, with their credit
    leaflet: Shown | None = None  # a drug's leaflet (说明书) link, as its production names it

    @property
    def title(self) -> str:
        """The heading as plain text, for the document's title."""
        return "".join(p if isinstance(p, str) else p.text for p in self.heading.parts)


def local_time(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TIME).strftime("%Y-%m-%d %H:%M")


def today() -> date:
    return datetime.now(LOCAL_TIME).date()


def _money(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


class _Names:
    """Who signed what: kids and USCCs to public names, read from the views in a few bulk queries, each bound to
    the verified registration the browser reaches from the event (``registered``: actors whose registration the
    bundle carries; a name the bundle cannot back is shown unverified)."""

    def __init__(self, ledger: LogReads, events: Iterable[ParsedEvent], texts: Texts, registered: set[str]) -> None:
        self._texts = texts
        self._registered = registered
        events = list(events)
        keys = ledger.view_rows(KEYS, {e.payload.actor for e in events})
        self._actor_of = {kid: row["actor"] for kid, row in keys.items()}
        ids = set(self._actor_of.values())
        for event in events:  # the parties a shipment names
            data = event.data
            if isinstance(data, Dispatch) and data.to is not None:
                ids.add(data.to)
            elif isinstance(data, Handoff):
                ids.add(data.from_)
        self.actors = ledger.view_rows(ACTORS, ids)

    def actor_id(self, kid: str) -> str | None:
        return self._actor_of.get(kid)

    def name(self, actor_id: str) -> str:
        row = self.actors.get(actor_id)
        return row["name"] if row else actor_id

    def named(self, event_id: str, path: str, actor_id: str) -> Shown:
        """The name of the actor whose id the event holds at ``path`` (``data.to``, ``data.from``)."""
        bound = actor_id in self._registered
        return Shown(self.name(actor_id), entry(event_id, "data.name", via=path) if bound else None)

    def signer(self, event_id: str, kid: str) -> Shown:
        """The name of the actor whose key signed the event, or "a consumer" for a consignee key."""
        actor_id = self._actor_of.get(kid)
        if actor_id is None:
            return Shown(self._texts("consumer"), entry(event_id, "actor", format="holder", value=CONSUMER))
        return Shown(self.name(actor_id), entry(event_id, "data.name", via="signer"))


def _review_text(ledger: LogReads, event_id: str, event: ParsedEvent) -> tuple[Shown | None, bool]:
    attachments = event.payload.attachments
    if not attachments:
        return None, False
    text = attachment_text(ledger, attachments[0].digest)
    return (None, True) if text is None else (Shown(text, attachment(event_id)), False)


def _label(texts: Texts, key: str, event_id: str, path: str, value: str, default: str | None = None) -> Shown:
    """An enum value shown by its translation: the browser checks the value the element names."""
    return Shown(texts(f"{key}_{value}"), entry(event_id, path, value=value, default=default))


def _details(eid: str, data: EventData, names: _Names, texts: Texts) -> list[Line]:
    """The lines under an event's title, each value bound to where the payload holds it (``path``)."""

    def at(path: str, value: object, format: Format = "text") -> Shown:
        shown = _money(value) if format == "money" and isinstance(value, int) else str(value)
        return Shown(shown, entry(eid, path, format=format))

    match data:
        case Production():
            parts = texts.parts(
                "produced", quantity=at("data.quantity", data.quantity), unit=at("data.unit", data.unit),
                place=at("data.place", data.place),
            )  # fmt: skip
            return [Line(parts)]
        case Inspection():
            line = texts.parts(f"inspection_{data.result}", standard=at("data.standard", data.standard))
            return [Line(line, entry(eid, "data.result", value=data.result))]
        case Listing():
            return [Line(texts.parts("price", price=at("data.price", data.price, "money")))]
        case Dispatch():
            to = names.named(eid, "data.to", data.to) if data.to else ""
            key = "dispatch_to_actor" if data.to else "dispatch_to_consumer"
            return [Line(texts.parts(key, place=at("data.location", data.location), to=to))]
        case Handoff():
            giver = names.named(eid, "data.from", data.from_)
            return [Line(texts.parts("handoff", place=at("data.location", data.location), from_=giver))]
        case Aggregation():
            return [Line(texts.parts("aggregation", place=at("data.location", data.location)))]
        case Disaggregation():
            return [Line(texts.parts("disaggregation", place=at("data.location", data.location)))]
        case Signature():
            line = texts.parts("signature", condition=texts(f"condition_{data.condition}"))
            return [Line(line, entry(eid, "data.condition", value=data.condition))]
        case Complaint():
            category = _label(texts, "complaint", eid, "data.category", data.category)
            channel = _label(texts, "channel", eid, "data.channel", data.channel, default="consumer")
            return [Line(texts.parts("complaint_category", category=category)),
                    Line(texts.parts("complaint_channel", channel=channel))]  # fmt: skip
        case ComplaintResolution():
            outcome = _label(texts, "outcome", eid, "data.outcome", data.outcome)
            lines = [Line(texts.parts("resolution_outcome", outcome=outcome))]
            if data.reason is not None:  # a resolution logged before reasons were required has none
                reason = _label(texts, "settled", eid, "data.reason", data.reason)
                lines.append(Line(texts.parts("resolution_reason", reason=reason)))
            if data.compensation:
                lines.append(
                    Line(texts.parts("compensation", amount=at("data.compensation", data.compensation, "money")))
                )
            return lines
        case Recall():
            reason = _label(texts, "reason", eid, "data.reason", data.reason)
            return [Line(texts.parts("recall_detail", reason=reason, level=at("data.level", data.level)))]
        case AttachmentErasure():
            reason = _label(texts, "erasure", eid, "data.reason", data.reason)
            return [Line(texts.parts("erasure_detail", reason=reason))]
        case RiskFinding():
            detector = _label(texts, "detector", eid, "data.detector", data.detector)
            return [Line(texts.parts("risk_detail", detector=detector))]
    return []


def _event(ledger: LogReads, stored: StoredEntry, event: ParsedEvent, names: _Names, texts: Texts,
           destinations: Mapping[str, str | None], flagged: bool) -> TimelineEvent:  # fmt: skip
    payload, data = event.payload, event.data
    eid = stored.event_id
    kind = payload.kind
    title_binding = entry(eid, "kind", value=payload.kind)
    if isinstance(data, Aggregation | Disaggregation):
        kind = data.type
        title_binding = entry(eid, "data.type", value=data.type)
    if isinstance(data, Dispatch | Handoff):
        arrived = isinstance(data, Handoff) and names.actor_id(payload.actor) == destinations.get(payload.subject)
        kind = "arrival" if arrived else data.type
        title_binding = entry(eid, "data.type", value=data.type)
    rating: int | None = None
    stars: Shown | None = None
    text: Shown | None = None
    removed = False
    if isinstance(data, Review):
        rating = data.rating
        stars = Shown("★" * rating + "☆" * (5 - rating), entry(eid, "data.rating", format="stars"))
        text, removed = _review_text(ledger, eid, event)
    details = _details(eid, data, names, texts)
    if flagged:
        details.append(Line((texts("review_flagged"),)))
    warning = (
        isinstance(data, Complaint | Recall | RiskFinding)
        or flagged
        or (isinstance(data, Inspection) and data.result == "fail")
        or (isinstance(data, Signature) and data.condition != "intact")
    )
    return TimelineEvent(
        stored.leaf_index, eid, payload.kind, payload.time, kind.replace(".", "-"),
        Shown(texts(f"ev_{kind}"), title_binding),
        Shown(local_time(parse_time(payload.time, "time")), entry(eid, "time", format="datetime")),
        names.signer(eid, payload.actor), tuple(details), rating, stars, text, removed, warning, flagged,
    )  # fmt: skip


def _product_header(ledger: LogReads, page: SubjectPage, batch: BatchRow, production: tuple[str, Production] | None,
                    history: History, texts: Texts, label: tuple[date, str] | None) -> None:  # fmt: skip
    """The product's name, category, producer, licence, lot, serial, size, place, expiry and rating."""
    pid = production[0] if production else ""

    def at(path: str, value: object) -> Shown:
        return Shown(str(value), entry(pid, path) if production else None)

    producer = ledger.view(ACTORS, batch["producer"])
    page.heading = Line((at("data.product", batch["product"]),))
    category = batch["category"]
    kind = Shown(texts(f"category_{category}"), entry(pid, "data.category", value=category) if production else None)
    page.kind_label = Line((kind, " · ", *page.kind_label.parts))
    if producer is not None:
        page.producer = Shown(producer["name"], entry(pid, "data.name", via="signer") if production else None)
        registrar = _registrar_name(ledger, producer["registration"])
        if registrar is not None:
            name = Shown(registrar, entry(pid, "data.name", via="signer signer") if production else None)
            page.producer_verified = Line(texts.parts("registered_by", name=name))
        wanted = CATEGORY_LICENCES.get(category, (None, None))[0]
        for n, licence in enumerate(producer["licences"]):
            if licence["type"] == wanted:
                until = parse_time(licence["valid_until"], "valid_until")
                key = "licence_valid_until" if until > datetime.now(UTC) else "licence_expired"
                number = Shown(licence["number"], _licence(pid, n, "number"))
                day = Shown(local_time(until)[:10], _licence(pid, n, "valid_until", "date"))
                page.fields.append(HeaderField(texts("licence"), Line(texts.parts(key, number=number, date=day)), True))
    page.fields.append(HeaderField(texts("lot"), Line((Shown(batch["lot"], scanned("10")),))))
    if history.subject.serial is not None:
        page.fields.append(HeaderField(texts("serial"), Line((Shown(history.subject.serial, scanned("21")),))))
    size = (at("data.quantity", batch["quantity"]), " ", at("data.unit", batch["unit"]))
    page.fields.append(HeaderField(texts("batch_size"), Line(size)))
    if production is not None:
        page.fields.append(HeaderField(texts("place"), Line((at("data.place", production[1].place),)), wide=True))
        made = production[1]
        for key, value in (("approval_number", made.approval_number), ("strength", made.strength)):
            if value is not None:
                page.fields.append(HeaderField(texts(key), Line((at(f"data.{key}", value),)), wide=True))
        if made.leaflet is not None:
            page.leaflet = at("data.leaflet", made.leaflet)
    ends = []  # the dates it expires by: the batch's own, the label's
    expiry = batch.get("expiry")
    if expiry:
        ends.append((date.fromisoformat(expiry), at("data.expiry", expiry)))
    if label is not None:
        ends.append((label[0], Shown(label[0].isoformat(), scanned("17", label[1]))))
    if ends:
        page.fields.append(HeaderField(texts("expiry"), Line((ends[0][1],))))
        end, shown = min(ends, key=lambda e: e[0])
        if end < today():
            page.banners.append(Banner("danger", Line(texts.parts("banner_expired", date=shown))))
    reviews = [e.rating for e in page.events if e.rating is not None and not e.flagged]
    if reviews:  # those the page lists unflagged, which the browser can recount
        average = Shown(average_tenths(sum(reviews), len(reviews)), ratings("average"))
        count = Shown(str(len(reviews)), ratings("count"))
        page.fields.append(
            HeaderField(texts("rating"), Line(texts.parts("rating_value", average=average, count=count)))
        )
    left_out = sum(1 for e in page.events if e.flagged)
    if left_out:
        page.fields.append(HeaderField(texts("rating"), Line((texts("rating_left_out", count=left_out),)), True))


def _licence(production: str, n: int, key: str, format: Format = "text") -> Binding | None:
    """The ``n``-th licence of the verified registration of the producer that signed ``production``."""
    return entry(production, f"data.licences.{n}.{key}", via="signer", format=format) if production else None


def _registrar_name(ledger: LogReads, registration: str) -> str | None:
    """The public name of the registrar that signed an actor's registration (None for the genesis registrars)."""
    found = ledger.entries_by_event_ids([registration])
    if not found:
        return None
    kid = found[0].parsed().event.payload.actor
    key = ledger.view(KEYS, kid)
    registrar = ledger.view(ACTORS, key["actor"]) if key else None
    return registrar["name"] if registrar else None


def _parcel_header(ledger: LogReads, page: SubjectPage, dispatch: tuple[str, Dispatch] | None, texts: Texts) -> None:
    """The parcel's code and contents; a content's product and unit are another batch's, not in this bundle."""
    page.heading = Line((texts("kind_parcel"), " ", Shown(page.subject.removeprefix("00/"), scanned("00"))))
    if dispatch is None:
        return
    eid, data = dispatch
    batches = ledger.view_rows(BATCHES, [c.batch for c in data.contents])
    for n, content in enumerate(data.contents):
        batch = batches.get(content.batch)
        name = Shown(batch["product"] if batch else content.batch)
        quantity = Shown(str(content.quantity), entry(eid, f"data.contents.{n}.quantity"))
        value: tuple[str | Shown, ...] = (name, " × ", quantity)
        if batch:
            value += (" ", Shown(batch["unit"]))
        page.fields.append(HeaderField(texts("contents"), Line(value), wide=True))


def _black_list_banner(ledger: LogReads, history: History, texts: Texts) -> Banner:
    """Who is on the black list and why: sanctions are not in the product's bundle, so this is unverified."""
    lines = []
    actors = ledger.view_rows(ACTORS, history.black_listed)
    sanctions = ledger.view_rows(SANCTIONS, history.black_listed)
    files = ledger.view_rows(CREDIT, history.black_listed)  # each sanction's facts: when it was logged, by whom
    for actor_id in history.black_listed:
        actor = actors.get(actor_id)
        name = actor["name"] if actor else actor_id
        active = sanctions[actor_id]["active"] if actor_id in sanctions else []
        black = [s["event"] for s in active if s["list"] == "black"]
        events = ledger.entries_by_event_ids(black)
        reasons = [e.parsed().event.data_as(Sanction).reason for e in events]
        line = f"{name}：{'；'.join(reasons)}" if texts.language == "zh-CN" else f"{name}: {'; '.join(reasons)}"
        lines.append(Line((Shown(line),)))
        facts = files[actor_id]["sections"]["sanctions"] if actor_id in files else []
        regulators = ledger.view_rows(ACTORS, [fact["by"] for fact in facts])
        for fact in (fact for fact in facts if fact["event"] in black):
            by = regulators[fact["by"]]["name"] if fact["by"] in regulators else fact["by"]
            when = local_time(parse_time(fact["at"], "at"))[:10]
            lines.append(Line((Shown(texts("banner_black_listed_by", date=when, authority=by)),)))
    lines.append(Line((texts("banner_black_listed_advice"),)))
    return Banner("danger", Line((Shown(texts("banner_black_listed")),)), tuple(lines))


def _copy_banner(suspicion: CopySuspicion, texts: Texts) -> Banner:
    """The portal's own scan records, not the log's: unverified."""
    lines = []
    if suspicion.places:
        lines.append(texts("banner_copy_places", places="、".join(suspicion.places)))
    if suspicion.devices_after_receipt > MAX_DEVICES_AFTER_RECEIPT:
        lines.append(texts("banner_copy_devices", count=suspicion.devices_after_receipt))
    shown = tuple(Line((Shown(line),)) for line in lines)
    return Banner("warning", Line((Shown(texts("banner_copy")),)), (*shown, Line((texts("banner_copy_advice"),))))


def _recall_banner(recall: ParsedEvent | None, names: _Names, texts: Texts) -> Banner:
    """The recall: why and how serious, when and by whom (each bound to the signed recall), and what to do."""
    advice = Line((texts("banner_recall_advice"),))
    if recall is None:
        return Banner("danger", Line((Shown(texts("banner_recall")),)), (advice,))
    eid, data = recall.event_id, recall.data_as(Recall)
    reason = _label(texts, "reason", eid, "data.reason", data.reason)
    level = Shown(str(data.level), entry(eid, "data.level"))
    title = Line((Shown(texts("banner_recall"), entry(eid, "kind", value="recall")),))
    when = Shown(local_time(parse_time(recall.payload.time, "time"))[:10], entry(eid, "time", format="date"))
    by = names.signer(eid, recall.payload.actor)
    lines = (
        Line(texts.parts("banner_recall_reason", reason=reason, level=level)),
        Line(texts.parts("banner_recall_by", date=when, authority=by)),
        advice,
    )
    return Banner("danger", title, lines)


def _input_recall_banner(events: Sequence[tuple[StoredEntry, ParsedEvent]], recalled: Sequence[str], texts: Texts
                         ) -> Banner:  # fmt: skip
    """The recalled batches a product was made from: each input's production is in the bundle (its name bound),
    its recall is not, so the warning itself is unverified."""
    lines = []
    for _, event in events:
        if isinstance(event.data, Production) and event.payload.subject in recalled:
            product = Shown(event.data.product, entry(event.event_id, "data.product"))
            lot = Shown(parse_subject(event.payload.subject).lot or "")
            lines.append(Line(texts.parts("banner_input_recalled_batch", product=product, lot=lot)))
    return Banner("danger", Line((Shown(texts("banner_input_recalled")),)), tuple(lines))


def _not_issued_banner(history: History, production: tuple[str, Production] | None, texts: Texts) -> Banner | None:
    """An item whose serial its batch never issued, or that no dispatch carried: the browser decides the same
    from the verified production and dispatches (``static/issuance.js``), so the warning is bound to that."""
    batch, serial = history.batch, history.subject.serial
    if batch is None or serial is None:
        return None
    code = Shown(serial, scanned("21"))
    if not issued(serial, batch["quantity"]):
        first, last = issued_range(batch["quantity"])
        quantity = Shown(str(batch["quantity"]), entry(production[0], "data.quantity") if production else None)
        line = texts.parts("banner_not_issued_outside", quantity=quantity, first=first, last=last, serial=code)
        level, state = "danger", "outside"
    elif not history.parcels:
        line = texts.parts("banner_not_issued_undispatched", serial=code)
        level, state = "warning", "undispatched"
    else:
        return None
    title = Line((Shown(texts("banner_not_issued"), issuance(state)),))
    return Banner(level, title, (Line(line), Line((texts("banner_not_issued_advice"),))))


def _first(events: Sequence[tuple[StoredEntry, ParsedEvent]], model: type[D], subject: str | None = None
           ) -> tuple[str, D] | None:  # fmt: skip
    """The event id and data of the first of ``events`` whose data is a ``model`` (about ``subject``, if given)."""
    return next(
        ((e.event_id, e.data) for _, e in events if isinstance(e.data, model) and subject in (None, e.payload.subject)),
        None,
    )


def witness_count(ledger: LogReads, note: str) -> int:
    """How many keys other than the log's own signed the checkpoint note (witness cosignatures)."""
    own = (ledger.log_verifier.name, ledger.log_verifier.key_id)
    return sum(1 for sig in parse_note(note).signatures if (sig.name, sig.key_id) != own)


def subject_page(ledger: LogReads, history: History, checkpoint: Checkpoint, texts: Texts,
                 label: tuple[date, str] | None = None, scan: Scan | None = None) -> SubjectPage:  # fmt: skip
    """The page of a batch, item or parcel from its history and the (cosigned) checkpoint its bundle is proved
    against, both read from ``ledger``, its scans (and this view's ``scan``, stored after ``ledger``'s snapshot
    was taken) and the label's expiry (AI 17: the date and the code as scanned)."""
    subject = history.subject
    page = SubjectPage(subject.path, subject.kind, Line(()), Line((texts(f"kind_{subject.kind}"),)))
    events = [(e, e.parsed().event) for e in history.entries]
    registered = {e.subject.removeprefix("actor/") for e in history.registrations if e.kind == "actor.register"}
    names = _Names(ledger, (event for _, event in events), texts, registered)
    destinations = {e.payload.subject: e.data.to for _, e in events if isinstance(e.data, Dispatch)}
    flagged = flagged_reviews(ledger, (e.event_id for _, e in events if isinstance(e.data, Review)))
    page.events = [
        _event(ledger, stored, event, names, texts, destinations, event.event_id in flagged) for stored, event in events
    ]
    production = _first(events, Production, subject.batch_path) if history.batch is not None else None
    if history.batch is not None:
        _product_header(ledger, page, history.batch, production, history, texts, label)
        page.parties = party_credit(ledger, history.batch, (event for _, event in events), texts)
    else:
        _parcel_header(ledger, page, _first(events, Dispatch), texts)
    if history.recalled_inputs:
        page.banners.insert(0, _input_recall_banner(events, history.recalled_inputs, texts))
    if history.recalled and history.batch is not None:
        recall = next((e for _, e in events if isinstance(e.data, Recall)), None)
        page.banners.insert(0, _recall_banner(recall, names, texts))
    not_issued = _not_issued_banner(history, production, texts)
    if not_issued is not None:
        page.banners.insert(0, not_issued)
    if history.black_listed:
        page.banners.append(_black_list_banner(ledger, history, texts))
    if subject.kind == "item":  # a copy warning needs every scan; other pages only count theirs
        scans = scans_of(ledger, subject.path) + ([scan] if scan else [])
        received = next((stored.logged_at for stored, event in events if isinstance(event.data, Signature)), None)
        suspicion = copy_suspicion(scans, parse_time(received, "logged_at") if received else None)
        if suspicion is not None:
            page.banners.append(_copy_banner(suspicion, texts))
        count = len(scans)
    else:
        count = scan_count(ledger, subject.path) + (scan is not None)
    page.fields.sort(key=lambda f: f.wide)  # short facts pair up in two columns; long ones follow, full width
    witnesses = witness_count(ledger, checkpoint.note)
    cosigned = texts("checkpoint_witnesses", count=witnesses) if witnesses else texts("checkpoint_no_witnesses")
    page.log = (
        Line(
            (*texts.parts("checkpoint_size", size=Shown(str(checkpoint.size), CHECKPOINT_SIZE)), " · ", Shown(cosigned))
        ),
        Line((Shown(texts("scans_summary", count=count)),)),
    )
    return page
