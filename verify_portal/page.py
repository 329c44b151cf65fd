"""What a product page shows, read from the ledger: the header, the timeline of events, and the warnings.

Everything here is plain data for the templates; the page never embeds the history bundle itself (the browser
fetches it and checks each event against the log), so each timeline event carries the leaf index and event id
that tie it to the bundle's entry, and the kind and time exactly as signed, which the browser compares.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from ledger.events import LogEntry, parse_time
from ledger.events.payload import EventPayload
from ledger.history import History
from ledger.rules.goods import CATEGORY_LICENCES
from ledger.rules.views import ACTORS, BATCHES, KEYS, SANCTIONS
from ledger.store.attachments import attachment_text
from ledger.store.cosignatures import cosigned_checkpoint
from ledger.store.ledger import Ledger, StoredEntry
from ledger.store.scans import scan_count, scans_of
from signer.note import parse_note
from verify_portal.copies import MAX_DEVICES_AFTER_RECEIPT, CopySuspicion, copy_suspicion
from verify_portal.i18n import Texts

LOCAL_TIME = ZoneInfo("Asia/Shanghai")  # consumers read times as the clock on their wall shows them


@dataclass(frozen=True)
class TimelineEvent:
    leaf_index: int
    event_id: str
    signed_kind: str  # the payload's kind and time, exactly as signed: verify.js checks them against the entry
    signed_time: str
    kind: str  # the CSS class: production, inspection, listing, dispatch, handoff, arrival, signature, ...
    title: str
    time: str  # the signer's claimed time, local
    actor: str
    details: tuple[str, ...] = ()
    rating: int | None = None
    text: str | None = None  # a review's text, or the note that it was removed
    text_removed: bool = False
    warning: bool = False  # a failed inspection, a damaged or refused parcel, a complaint, a recall


@dataclass(frozen=True)
class HeaderField:
    label: str
    value: str
    wide: bool = False  # a long value (a licence, a place) takes the header's full width


@dataclass(frozen=True)
class Banner:
    level: str  # danger or warning
    title: str
    lines: tuple[str, ...] = ()


@dataclass
class SubjectPage:
    subject: str
    kind: str  # batch, item or parcel
    heading: str
    kind_label: str
    producer: str | None = None
    producer_verified: str | None = None  # "registered by ..." when the producer's registration is in the log
    fields: list[HeaderField] = field(default_factory=list)
    banners: list[Banner] = field(default_factory=list)
    events: list[TimelineEvent] = field(default_factory=list)
    checkpoint_size: int = 0
    witnesses: int = 0
    scan_count: int = 0


def local_time(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TIME).strftime("%Y-%m-%d %H:%M")


def today() -> date:
    return datetime.now(LOCAL_TIME).date()


def _money(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


class _Names:
    """Who signed what: kids and USCCs to public names, read from the views in a few bulk queries."""

    def __init__(self, ledger: Ledger, payloads: Iterable[EventPayload], texts: Texts) -> None:
        self._texts = texts
        payloads = list(payloads)
        kids = {p.actor for p in payloads}
        keys = ledger.view_rows([(KEYS, kid) for kid in kids])
        self._actor_of = {kid: str(row["actor"]) for (_, kid), row in keys.items()}
        ids = set(self._actor_of.values())
        for payload in payloads:
            ids.update(str(payload.data[k]) for k in ("to", "from") if isinstance(payload.data.get(k), str))
        self.actors = {key: row for (_, key), row in ledger.view_rows([(ACTORS, a) for a in ids]).items()}

    def actor_id(self, kid: str) -> str | None:
        return self._actor_of.get(kid)

    def of_actor(self, actor_id: str) -> str:
        row = self.actors.get(actor_id)
        return str(row["name"]) if row else actor_id

    def of_kid(self, kid: str) -> str:
        actor_id = self._actor_of.get(kid)
        return self.of_actor(actor_id) if actor_id else self._texts("consumer")


def _review_text(ledger: Ledger, payload: EventPayload) -> tuple[str | None, bool]:
    if not payload.attachments:
        return None, False
    text = attachment_text(ledger, payload.attachments[0].digest)
    return text, text is None


def _event(ledger: Ledger, entry: StoredEntry, payload: EventPayload, names: _Names, texts: Texts,
           destinations: Mapping[str, str | None]) -> TimelineEvent:  # fmt: skip
    data: Mapping[str, Any] = payload.data
    kind = payload.kind
    details: list[str] = []
    warning = False
    rating: int | None = None
    text: str | None = None
    removed = False
    if kind == "production":
        details.append(texts("produced", quantity=data["quantity"], unit=data["unit"], place=data["place"]))
    elif kind == "inspection":
        warning = data["result"] == "fail"
        details.append(texts(f"inspection_{data['result']}", standard=data["standard"]))
    elif kind == "listing":
        details.append(texts("price", price=_money(data["price"])))
    elif kind == "shipment" and data["type"] == "dispatch":
        kind = "dispatch"
        to = data.get("to")
        key = "dispatch_to_actor" if to else "dispatch_to_consumer"
        details.append(texts(key, place=data["location"], to=names.of_actor(to) if to else ""))
    elif kind == "shipment":
        arrived = names.actor_id(payload.actor) == destinations.get(payload.subject)
        kind = "arrival" if arrived else "handoff"
        details.append(texts("handoff", place=data["location"], from_=names.of_actor(data["from"])))
    elif kind == "signature":
        warning = data["condition"] != "intact"
        details.append(texts("signature", condition=texts(f"condition_{data['condition']}")))
    elif kind == "review":
        rating = int(data["rating"])
        text, removed = _review_text(ledger, payload)
    elif kind == "complaint":
        warning = True
        details.append(texts("complaint_category", category=texts(f"complaint_{data['category']}")))
        details.append(texts("complaint_channel", channel=texts(f"channel_{data.get('channel', 'consumer')}")))
    elif kind == "complaint.resolution":
        details.append(texts("resolution_outcome", outcome=texts(f"outcome_{data['outcome']}")))
        if data.get("compensation"):
            details.append(texts("compensation", amount=_money(data["compensation"])))
    elif kind == "recall":
        warning = True
        details.append(texts("recall_detail", reason=texts(f"reason_{data['reason']}"), level=data["level"]))
    return TimelineEvent(
        entry.leaf_index, entry.event_id, payload.kind, payload.time, kind.replace(".", "-"), texts(f"ev_{kind}"),
        local_time(parse_time(payload.time, "time")), names.of_kid(payload.actor), tuple(details), rating, text,
        removed, warning,
    )  # fmt: skip


def _registrar_name(ledger: Ledger, registration: str) -> str | None:
    """The public name of the registrar that signed an actor's registration (None for the genesis registrars)."""
    entry = ledger.entries_by_event_ids([registration])
    if not entry:
        return None
    kid = LogEntry.parse(entry[0].data).event.payload.actor
    key = ledger.view(KEYS, kid)
    registrar = ledger.view(ACTORS, str(key["actor"])) if key else None
    return str(registrar["name"]) if registrar else None


def _product_header(ledger: Ledger, page: SubjectPage, batch: Mapping[str, Any], production: EventPayload | None,
                    history: History, texts: Texts, label_date: date | None) -> None:  # fmt: skip
    producer = ledger.view(ACTORS, str(batch["producer"]))
    page.heading = str(batch["product"])
    page.kind_label = f"{texts('category_' + str(batch['category']))} · {page.kind_label}"
    if producer is not None:
        page.producer = str(producer["name"])
        registrar = _registrar_name(ledger, str(producer["registration"]))
        page.producer_verified = texts("registered_by", name=registrar) if registrar else texts("verified_identity")
        wanted = CATEGORY_LICENCES.get(str(batch["category"]), (None, None))[0]
        for licence in producer["licences"]:
            if licence["type"] == wanted:
                until = parse_time(licence["valid_until"], "valid_until")
                key = "licence_valid_until" if until > datetime.now(UTC) else "licence_expired"
                value = texts(key, number=licence["number"], date=local_time(until)[:10])
                page.fields.append(HeaderField(texts("licence"), value, wide=True))
    page.fields.append(HeaderField(texts("lot"), str(batch["lot"])))
    if history.subject.serial is not None:
        page.fields.append(HeaderField(texts("serial"), history.subject.serial))
    page.fields.append(HeaderField(texts("batch_size"), f"{batch['quantity']} {batch['unit']}"))
    if production is not None:
        page.fields.append(HeaderField(texts("place"), str(production.data["place"]), wide=True))
    expiry = date.fromisoformat(batch["expiry"]) if batch.get("expiry") else label_date
    if expiry is not None:
        page.fields.append(HeaderField(texts("expiry"), expiry.isoformat()))
    ends = [d for d in (expiry, label_date) if d is not None]
    if ends and min(ends) < today():
        page.banners.append(Banner("danger", texts("banner_expired", date=min(ends).isoformat())))
    reviews = batch["reviews"]
    if reviews["count"]:
        average = f"{reviews['sum'] / reviews['count']:.1f}"
        page.fields.append(HeaderField(texts("rating"), texts("rating_value", average=average, count=reviews["count"])))


def _parcel_header(ledger: Ledger, page: SubjectPage, dispatch: EventPayload | None, texts: Texts) -> None:
    page.heading = f"{texts('kind_parcel')} {page.subject.removeprefix('00/')}"
    if dispatch is None:
        return
    batches = ledger.view_rows([(BATCHES, str(c["batch"])) for c in dispatch.data["contents"]])
    for content in dispatch.data["contents"]:
        batch = batches.get((BATCHES, str(content["batch"])))
        name = str(batch["product"]) if batch else str(content["batch"])
        unit = str(batch["unit"]) if batch else ""
        page.fields.append(HeaderField(texts("contents"), f"{name} × {content['quantity']} {unit}".strip(), wide=True))


def _black_list_banner(ledger: Ledger, history: History, texts: Texts) -> Banner:
    lines = []
    rows = ledger.view_rows([(view, a) for a in history.black_listed for view in (ACTORS, SANCTIONS)])
    for actor_id in history.black_listed:
        actor = rows.get((ACTORS, actor_id))
        name = str(actor["name"]) if actor else actor_id
        active = rows.get((SANCTIONS, actor_id), {"active": []})["active"]
        events = ledger.entries_by_event_ids(s["event"] for s in active if s["list"] == "black")
        reasons = [str(LogEntry.parse(e.data).event.payload.data["reason"]) for e in events]
        lines.append(f"{name}：{'；'.join(reasons)}" if texts.language == "zh-CN" else f"{name}: {'; '.join(reasons)}")
    return Banner("danger", texts("banner_black_listed"), tuple(lines))


def _copy_banner(suspicion: CopySuspicion, texts: Texts) -> Banner:
    lines = []
    if suspicion.places:
        lines.append(texts("banner_copy_places", places="、".join(suspicion.places)))
    if suspicion.devices_after_receipt > MAX_DEVICES_AFTER_RECEIPT:
        lines.append(texts("banner_copy_devices", count=suspicion.devices_after_receipt))
    lines.append(texts("banner_copy_advice"))
    return Banner("warning", texts("banner_copy"), tuple(lines))


def witness_count(ledger: Ledger, note: str) -> int:
    """How many keys other than the log's own signed the checkpoint note (witness cosignatures)."""
    own = (ledger.log_verifier.name, ledger.log_verifier.key_id)
    return sum(1 for sig in parse_note(note).signatures if (sig.name, sig.key_id) != own)


def subject_page(ledger: Ledger, history: History, texts: Texts, label_date: date | None = None) -> SubjectPage:
    """The page of a batch, item or parcel from its history, its scans and the label's expiry date (AI 17)."""
    subject = history.subject
    page = SubjectPage(subject.path, subject.kind, "", texts(f"kind_{subject.kind}"))
    payloads = [(e, LogEntry.parse(e.data).event.payload) for e in history.entries]
    names = _Names(ledger, (p for _, p in payloads), texts)
    destinations = {p.subject: p.data.get("to") for _, p in payloads if p.kind == "shipment" and "contents" in p.data}
    page.events = [_event(ledger, e, p, names, texts, destinations) for e, p in payloads]
    first = {p.kind if p.kind != "shipment" else p.data["type"]: p for _, p in reversed(payloads)}
    if history.batch is not None:
        _product_header(ledger, page, history.batch, first.get("production"), history, texts, label_date)
    else:
        _parcel_header(ledger, page, first.get("dispatch"), texts)
    if history.recalled and history.batch is not None:
        recall = first.get("recall")
        lines = () if recall is None else (
            texts("banner_recall_reason", reason=texts(f"reason_{recall.data['reason']}"), level=recall.data["level"]),
        )  # fmt: skip
        page.banners.insert(0, Banner("danger", texts("banner_recall"), lines))
    if history.black_listed:
        page.banners.append(_black_list_banner(ledger, history, texts))
    if subject.kind == "item":  # a copy warning needs every scan; other pages only count theirs
        scans = scans_of(ledger, subject.path)
        received = next((e.logged_at for e, p in payloads if p.kind == "signature"), None)
        suspicion = copy_suspicion(scans, parse_time(received, "logged_at") if received else None)
        if suspicion is not None:
            page.banners.append(_copy_banner(suspicion, texts))
        page.scan_count = len(scans)
    else:
        page.scan_count = scan_count(ledger, subject.path)
    page.fields.sort(key=lambda f: f.wide)  # short facts pair up in two columns; long ones follow, full width
    checkpoint = cosigned_checkpoint(ledger)  # the note the bundle carries, with its witnesses' cosignatures
    page.checkpoint_size = checkpoint.size
    page.witnesses = witness_count(ledger, checkpoint.note)
    return page
