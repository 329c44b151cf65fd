"""The credit level (A best, D worst) of an actor, from its credit file: a pure, versioned rule.

``credit_level(sections, as_of)`` reads only the file's sections and the instant ``as_of`` at which time-dependent
facts (a licence's validity, a sanction's ``until``) are judged. The ledger stores the level as of the logged_at of
the latest entry that touched the file, so a replay derives the same level; ``GET /v1/actors/{id}/record`` also
gives it as of the request. Rule ``credit-level/2``:

- a clean file is B;
- each of these lowers it one level (a reason counts once, however many facts): an upheld or compensated complaint,
  a recall ordered by a regulator, a failed inspection, a licence past its validity, five or more ratings averaging
  under 3, a broken commitment (or a return still open after its due time);
- each of these raises it one level: a red-list sanction in force, twenty or more ratings averaging 4.5 or more;
- a black-list sanction in force makes it D whatever else the file holds;
- the level stays within A to D. A risk finding is shown in the file but moves nothing itself: the sanction or
  recall a regulator bases on it does.

Change the rule only under a new ``CREDIT_RULE`` version, since stored levels name the version they were derived by.
Version 2 counts a return still open after its due time as a broken commitment (version 1 waited for the late
arrival, so a sender that never took a return back kept a clean file).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ledger.events import format_time, parse_time
from ledger.rules.views import CreditLevel, CreditSections, LevelReason, RatingTally, SanctionFact

CREDIT_RULE = "credit-level/2"
LEVELS = ("A", "B", "C", "D")
BASE = LEVELS.index("B")
UPHELD = frozenset({"upheld", "compensated"})
LOW_RATING = (5, 3.0)  # at least this many ratings, averaging under this
HIGH_RATING = (20, 4.5)  # at least this many ratings, averaging this or more


def sanction_status(fact: SanctionFact, at: datetime) -> str:
    """``lifted``, ``expired`` (its ``until`` has passed at ``at``) or ``in_force``."""
    if fact["lifted"] is not None:
        return "lifted"
    until = fact["until"]
    if until is not None and parse_time(until, "until") <= at:
        return "expired"
    return "in_force"


def licence_valid(valid_until: str, at: datetime) -> bool:
    return parse_time(valid_until, "valid_until") > at


def _tallies(sections: CreditSections) -> list[RatingTally]:
    """Every section of ratings the actor received, in whatever role."""
    found = (
        sections.get("ratings"), sections.get("ratings_as_courier"), sections.get("ratings_as_sender"),
        sections.get("ratings_as_buyer"),
    )  # fmt: skip
    return [tally for tally in found if tally is not None and tally["count"]]


def ratings_received(sections: CreditSections) -> tuple[int, float, list[str]]:
    """How many ratings the actor received in every role, their average, and the latest of each section."""
    tallies = _tallies(sections)
    count = sum(t["count"] for t in tallies)
    average = sum(t["sum"] for t in tallies) / count if count else 0.0
    return count, average, [t["latest"] for t in tallies]


def _reason(reason: str, effect: str, events: Sequence[str]) -> LevelReason:
    return {"reason": reason, "effect": effect, "events": list(events)}


def level_reasons(sections: CreditSections, at: datetime) -> list[LevelReason]:
    """Every fact of the file that moves the level at ``at``, grouped by reason, in the README's order."""
    sanctions = [s for s in sections.get("sanctions", []) if sanction_status(s, at) == "in_force"]
    black = [s["event"] for s in sanctions if s["list"] == "black"]
    red = [s["event"] for s in sanctions if s["list"] == "red"]
    registrations = sections.get("registrations", [])
    licences = registrations[-1]["licences"] if registrations else []
    count, average, latest = ratings_received(sections)
    expired = any(not licence_valid(licence["valid_until"], at) for licence in licences)
    lowers = {
        "upheld_complaints": [c["event"] for c in sections.get("complaints", []) if c["outcome"] in UPHELD],
        "ordered_recalls": [r["event"] for r in sections.get("recalls", []) if r["ordered"]],
        "failed_inspections": [i["event"] for i in sections.get("inspections_failed", [])],
        "expired_licences": [registrations[-1]["event"]] if expired else [],
        "low_ratings": latest if count >= LOW_RATING[0] and average < LOW_RATING[1] else [],
        "broken_commitments": [c["event"] for c in sections.get("commitments", []) if c["status"] == "broken"]
        + [r["event"] for r in sections.get("returns_open", []) if parse_time(r["due"], "due") < at],
    }
    high = count >= HIGH_RATING[0] and average >= HIGH_RATING[1]
    raises = {"red_list": red, "high_ratings": latest if high else []}
    reasons = [_reason("black_list", "sets_d", black)] if black else []
    reasons += [_reason(name, "lowers", events) for name, events in lowers.items() if events]
    reasons += [_reason(name, "raises", events) for name, events in raises.items() if events]
    return reasons


def credit_level(sections: CreditSections, at: datetime) -> CreditLevel:
    """The level rule ``CREDIT_RULE`` over a credit file's sections, time-dependent facts judged at ``at``."""
    reasons = level_reasons(sections, at)
    step = BASE + sum({"lowers": 1, "raises": -1}.get(r["effect"], 0) for r in reasons)
    if any(r["effect"] == "sets_d" for r in reasons):
        step = len(LEVELS) - 1
    level = LEVELS[min(max(step, 0), len(LEVELS) - 1)]
    return {"rule": CREDIT_RULE, "level": level, "as_of": format_time(at), "because": reasons}
