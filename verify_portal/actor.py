"""What an actor's credit page (``/actor/<USCC>``) and the disclosure list (``/disclosure``) show, as plain data.

Everything comes from the actor's credit file (``ledger.store.credit``): its identity and licences, its credit
level with the facts (and their events) behind it, its red and black listings with their lifting and expiry, and
the complaints, recalls, inspections, ratings and risk findings on file. Times are local (Asia/Shanghai).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from ledger.credit_facts import average_tenths
from ledger.events import parse_time
from ledger.rules.views import ACTORS, CreditSections, RatingTally
from ledger.store.credit import CreditRecord, Disclosed, SanctionStatus
from ledger.store.ledger import Ledger
from verify_portal.credit_texts import CREDIT_TEXTS
from verify_portal.i18n import Texts
from verify_portal.page import local_time

SHORT_ID = 12  # an event id shown by its first characters; the link carries it whole


@dataclass(frozen=True)
class EventLink:
    event: str
    text: str

    @property
    def href(self) -> str:
        return f"/v1/events/{self.event}"


@dataclass(frozen=True)
class Reason:
    text: str
    effect: str
    events: list[EventLink]


@dataclass(frozen=True)
class SanctionLine:
    list_: str  # red or black
    status: str  # in_force, expired or lifted
    label: str
    status_label: str
    lines: list[str]
    event: EventLink


@dataclass(frozen=True)
class Section:
    title: str
    lines: list[str]
    events: list[EventLink] = field(default_factory=list)


@dataclass
class ActorPage:
    actor_id: str
    name: str
    registered: bool
    registrar: str | None
    roles: list[str]
    licences: list[str]
    level: str
    level_label: str
    level_note: str
    level_now: str | None  # when the level judged now differs from the stored one
    reasons: list[Reason]
    red: bool
    black: bool
    sanctions: list[SanctionLine]
    sections: list[Section]


def _day(stamp: str) -> str:
    return local_time(parse_time(stamp, "time"))[:10]


def _links(texts: Texts, events: Iterable[str]) -> list[EventLink]:
    return [EventLink(e, texts("event_link", id=e[:SHORT_ID])) for e in events]


def _names(ledger: Ledger, ids: Iterable[str]) -> dict[str, str]:
    return {key: row["name"] for key, row in ledger.view_rows(ACTORS, set(ids)).items()}


def _licence_type(texts: Texts, licence_type: str) -> str:
    """A licence's kind by its name, or as registered when the portal has no name for it."""
    key = f"licence_type_{licence_type}"
    return texts(key) if key in CREDIT_TEXTS else licence_type


def sanction_line(status: SanctionStatus, names: dict[str, str], texts: Texts) -> SanctionLine:
    fact = status.fact
    lines = [texts("sanction_since", date=_day(fact["at"]))]
    lines.append(texts("sanction_until", date=_day(fact["until"])) if fact["until"] else texts("sanction_no_until"))
    lines.append(texts("sanction_reason", reason=fact["reason"]))
    lines.append(texts("sanction_by", name=names.get(fact["by"], fact["by"])))
    lifted = fact["lifted"]
    if lifted is not None:
        lines.append(texts("sanction_lifted", date=_day(lifted["at"]), name=names.get(lifted["by"], lifted["by"])))
    return SanctionLine(
        fact["list"], status.status, texts(f"list_{fact['list']}"), texts(f"status_{status.status}"), lines,
        _links(texts, [fact["event"]])[0],
    )  # fmt: skip


def _ratings(texts: Texts, key: str, tally: RatingTally | None) -> Section | None:
    if tally is None or not tally["count"]:
        return None
    average = average_tenths(tally["sum"], tally["count"])
    return Section(texts(key), [texts("ratings_summary", average=average, count=tally["count"])],
                   _links(texts, [tally["latest"]]))  # fmt: skip


def _complaints(texts: Texts, sections: CreditSections) -> Section:
    complaints = sections.get("complaints", [])
    if not complaints:
        return Section(texts("complaints"), [texts("no_complaints")])
    tally = Counter((c["category"], c["outcome"]) for c in complaints)
    lines = [
        f"{texts(f'complaint_{category}')} · {texts(f'outcome_{outcome}') if outcome else texts('complaint_open')}"
        f" × {count}"
        for (category, outcome), count in sorted(tally.items(), key=lambda item: (item[0][0], item[0][1] or ""))
    ]
    times = [c["resolution_seconds"] for c in complaints if c["resolution_seconds"] is not None]
    if times:
        hours = f"{sum(times) / len(times) / 3600:.1f}"
        lines.append(texts("complaints_resolution_time", hours=hours, count=len(times)))
    return Section(texts("complaints"), lines, _links(texts, [c["event"] for c in complaints]))


def _sections(texts: Texts, sections: CreditSections) -> list[Section]:
    found: list[Section | None] = [_complaints(texts, sections)]
    recalls = sections.get("recalls", [])
    if recalls:
        lines = [
            f"{_day(r['at'])} · {texts('recall_ordered' if r['ordered'] else 'recall_voluntary')} · "
            + texts("reason_" + r["reason"])
            for r in recalls
        ]
        found.append(Section(texts("recalls"), lines, _links(texts, [r["event"] for r in recalls])))
    failed = sections.get("inspections_failed", [])
    if failed:
        lines = [f"{_day(i['at'])} · {i['standard']}" for i in failed]
        found.append(Section(texts("inspections_failed"), lines, _links(texts, [i["event"] for i in failed])))
    found += [
        _ratings(texts, "ratings_received", sections.get("ratings")),
        _ratings(texts, "ratings_as_courier", sections.get("ratings_as_courier")),
        _ratings(texts, "ratings_as_sender", sections.get("ratings_as_sender")),
        _ratings(texts, "ratings_as_buyer", sections.get("ratings_as_buyer")),
    ]
    commitments = sections.get("commitments", [])
    if commitments:
        lines = [
            f"{_day(c['at'])} · " + texts("commitment_" + c["commitment"]) + " · " + texts("commitment_" + c["status"])
            for c in commitments
        ]
        found.append(Section(texts("commitments"), lines, _links(texts, [c["event"] for c in commitments])))
    risks = sections.get("risk_findings", [])
    if risks:
        lines = [
            f"{_day(r['at'])} · " + texts("detector_" + r["detector"]) + " · " + texts("risk_" + r["status"])
            for r in risks
        ]
        found.append(Section(texts("risk_findings"), lines, _links(texts, [r["event"] for r in risks])))
    return [section for section in found if section is not None]


def actor_page(ledger: Ledger, record: CreditRecord, texts: Texts) -> ActorPage:
    file = record.file
    registration = record.registration
    sanction_people = [s.fact["by"] for s in record.sanctions]
    sanction_people += [s.fact["lifted"]["by"] for s in record.sanctions if s.fact["lifted"]]
    names = _names(ledger, [*sanction_people, *([registration["by"]] if registration and registration["by"] else [])])
    registrar = None
    if registration is not None:
        by = registration["by"]
        registrar = names.get(by, by) if by else texts("actor_registered_genesis")
    level = file["level"]
    now = record.level_now["level"]
    licences = [
        texts(
            "licence_valid_until" if lc.valid else "licence_expired",
            number=f"{_licence_type(texts, lc.licence['type'])} {lc.licence['number']}",
            date=_day(lc.licence["valid_until"]),
        )
        for lc in record.licences
    ]
    return ActorPage(
        actor_id=record.actor_id, name=record.name or record.actor_id, registered=record.actor is not None,
        registrar=registrar, roles=[texts(f"role_{role}") for role in (record.actor["roles"] if record.actor else [])],
        licences=licences, level=level["level"], level_label=texts(f"level_{level['level']}"),
        level_note=texts("level_rule", rule=level["rule"], as_of=local_time(parse_time(level["as_of"], "as_of"))),
        level_now=texts("level_now_differs", level=texts(f"level_{now}")) if now != level["level"] else None,
        reasons=[
            Reason(texts(f"why_{r['reason']}"), texts(f"effect_{r['effect']}"), _links(texts, r["events"]))
            for r in level["because"]
        ],
        red=bool(record.listed("red")), black=bool(record.listed("black")),
        sanctions=[sanction_line(s, names, texts) for s in record.sanctions],
        sections=_sections(texts, file["sections"]),
    )  # fmt: skip


@dataclass(frozen=True)
class DisclosedLine:
    actor_id: str
    name: str
    sanction: SanctionLine


def disclosure_lines(ledger: Ledger, disclosed: list[Disclosed], texts: Texts) -> list[DisclosedLine]:
    people = [d.sanction.fact["by"] for d in disclosed]
    people += [d.sanction.fact["lifted"]["by"] for d in disclosed if d.sanction.fact["lifted"]]
    names = _names(ledger, people)
    return [DisclosedLine(d.actor_id, d.name or d.actor_id, sanction_line(d.sanction, names, texts)) for d in disclosed]
