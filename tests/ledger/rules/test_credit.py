"""Credit files and levels (ledger.rules.credit_file, ledger.rules.credit): the facts each kind files, and the
level rule over them, in memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ledger.events import format_time
from ledger.events.builders import (
    complaint_payload,
    inspection_payload,
    recall_payload,
    resolution_payload,
    review_payload,
    risk_finding_payload,
    sanction_payload,
)
from ledger.identifiers import actor_subject
from ledger.rules.credit import CREDIT_RULE, credit_level, sanction_status
from ledger.rules.views import CreditSections, SanctionFact
from tests.ledger.rules.conftest import Cast
from tests.ledger.rules.memory import MemoryLog
from tests.scenarios.world import Party

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def credit(cast: Cast, party: Party) -> dict[str, object]:
    return cast.log.row("credit", party.id)


def level(cast: Cast, party: Party) -> str:
    return str(cast.log.row("credit", party.id)["level"]["level"])


def reasons(cast: Cast, party: Party) -> dict[str, list[str]]:
    return {r["reason"]: r["events"] for r in cast.log.row("credit", party.id)["level"]["because"]}


def sanction(fact: dict[str, object]) -> SanctionFact:
    base: SanctionFact = {
        "event": "e" * 64, "at": "2026-01-01T00:00:00Z", "list": "black", "by": "R", "reason": "x", "until": None,
        "finding": None, "lifted": None,
    }  # fmt: skip
    return {**base, **fact}  # type: ignore[typeddict-item]  # the test's own overrides


class TestTheFile:
    def test_a_registration_files_the_registrar_roles_and_licences(self, cast: Cast) -> None:
        file = credit(cast, cast.producer)
        [registration] = file["sections"]["registrations"]  # type: ignore[index]
        assert registration["by"] == cast.log.registrar.id
        assert registration["roles"] == ["producer"]
        assert [lc["type"] for lc in registration["licences"]] == ["food_production"]
        assert file["level"] == {"rule": CREDIT_RULE, "level": "B", "as_of": registration["at"], "because": []}

    def test_the_genesis_registrar_has_a_file_too(self, log: MemoryLog) -> None:
        [registration] = log.row("credit", log.registrar.id)["sections"]["registrations"]
        assert registration["by"] is None
        assert registration["roles"] == ["registrar"]

    def test_a_sanction_is_filed_and_its_lifting_shown(self, cast: Cast) -> None:
        black = cast.log.decide(
            sanction_payload(cast.regulator.key, cast.merchant.id, list_="black", reason="售假"), cast.regulator.key
        )
        [fact] = credit(cast, cast.merchant)["sections"]["sanctions"]  # type: ignore[index]
        assert (fact["event"], fact["list"], fact["by"], fact["reason"], fact["lifted"]) == (
            black, "black", cast.regulator.id, "售假", None,
        )  # fmt: skip
        assert level(cast, cast.merchant) == "D"
        assert reasons(cast, cast.merchant) == {"black_list": [black]}
        lift = sanction_payload(cast.regulator.key, cast.merchant.id, list_="black", reason="整改", lifts=black)
        lifted = cast.log.decide(lift, cast.regulator.key)
        [fact] = credit(cast, cast.merchant)["sections"]["sanctions"]  # type: ignore[index]
        assert fact["lifted"]["event"] == lifted
        assert fact["lifted"]["by"] == cast.regulator.id
        assert level(cast, cast.merchant) == "B"

    def test_a_red_listing_raises_a_level(self, cast: Cast) -> None:
        red = cast.log.decide(
            sanction_payload(cast.regulator.key, cast.producer.id, list_="red", reason="诚信示范"), cast.regulator.key
        )
        assert level(cast, cast.producer) == "A"
        assert reasons(cast, cast.producer) == {"red_list": [red]}

    def test_an_upheld_complaint_lowers_and_shows_its_resolution_time(self, cast: Cast) -> None:
        consumer, parcel, receipt = cast.deliver(1)
        filed = NOW - timedelta(hours=3)
        payload = complaint_payload(consumer, parcel, category="quality", parents=[receipt], time=filed)
        complaint = cast.log.decide(payload, consumer, at=filed)
        assert level(cast, cast.producer) == "B"
        [fact] = credit(cast, cast.producer)["sections"]["complaints"]  # type: ignore[index]
        assert (fact["category"], fact["outcome"], fact["resolution_seconds"]) == ("quality", None, None)
        resolution = resolution_payload(
            cast.regulator.key, parcel, complaint, outcome="upheld", reason="violation_found", time=NOW
        )
        resolved = cast.log.decide(resolution, cast.regulator.key, at=NOW)
        [fact] = credit(cast, cast.producer)["sections"]["complaints"]  # type: ignore[index]
        assert (fact["outcome"], fact["resolution"], fact["resolution_seconds"]) == ("upheld", resolved, 3 * 3600)
        assert (fact["channel"], fact["reason"]) == ("consumer", "violation_found")
        assert level(cast, cast.producer) == "C"
        assert reasons(cast, cast.producer) == {"upheld_complaints": [complaint]}

    def test_a_rejected_complaint_moves_nothing(self, cast: Cast) -> None:
        complaint = cast.log.decide(
            complaint_payload(cast.regulator.key, actor_subject(cast.merchant.id).path, category="service_breach"),
            cast.regulator.key,
        )
        resolution = resolution_payload(
            cast.regulator.key,
            actor_subject(cast.merchant.id).path,
            complaint,
            outcome="rejected",
            reason="no_violation",
        )
        cast.log.decide(resolution, cast.regulator.key)
        assert credit(cast, cast.merchant)["sections"]["complaints"][0]["outcome"] == "rejected"  # type: ignore[index]
        assert level(cast, cast.merchant) == "B"

    def test_an_ordered_recall_lowers_a_voluntary_one_is_only_shown(self, cast: Cast) -> None:
        voluntary = recall_payload(cast.producer.key, cast.batch, cast.production, reason="quality", level=3)
        recall = cast.log.decide(voluntary, cast.producer.key)
        [fact] = credit(cast, cast.producer)["sections"]["recalls"]  # type: ignore[index]
        assert (fact["event"], fact["ordered"], fact["by"]) == (recall, False, cast.producer.id)
        assert level(cast, cast.producer) == "B"
        other = cast.production_payload(2)
        production = cast.log.decide(other, cast.producer.key)
        ordered = recall_payload(cast.regulator.key, other.subject, production, reason="safety", level=1)
        recall = cast.log.decide(ordered, cast.regulator.key)
        assert reasons(cast, cast.producer) == {"ordered_recalls": [recall]}
        assert level(cast, cast.producer) == "C"

    def test_a_failed_inspection_lowers_a_passed_one_is_not_filed(self, cast: Cast) -> None:
        passed = inspection_payload(cast.lab.key, cast.batch, cast.production, result="pass", standard="GB 2730")
        cast.log.decide(passed, cast.lab.key)
        assert "inspections_failed" not in credit(cast, cast.producer)["sections"]  # type: ignore[operator]
        failed = inspection_payload(cast.lab.key, cast.batch, cast.production, result="fail", standard="GB 2730")
        event = cast.log.decide(failed, cast.lab.key)
        [fact] = credit(cast, cast.producer)["sections"]["inspections_failed"]  # type: ignore[index]
        assert (fact["event"], fact["by"], fact["standard"]) == (event, cast.lab.id, "GB 2730")
        assert level(cast, cast.producer) == "C"

    def test_ratings_are_tallied_for_the_producer_and_the_seller(self, cast: Cast) -> None:
        consumer, _, receipt = cast.deliver(1)
        review = cast.log.decide(review_payload(consumer, cast.batch, receipt, rating=4), consumer)
        follow_up = cast.log.decide(review_payload(consumer, cast.batch, review, rating=1), consumer)
        tally = credit(cast, cast.producer)["sections"]["ratings"]  # type: ignore[index]
        assert tally == {"count": 2, "sum": 5, "stars": [1, 0, 0, 1, 0], "latest": follow_up}
        assert "ratings" not in credit(cast, cast.merchant)["sections"]  # type: ignore[operator]

    def test_low_ratings_lower_a_level(self, cast: Cast) -> None:
        for number in range(1, 6):
            consumer, _, receipt = cast.deliver(number)
            cast.log.decide(review_payload(consumer, cast.batch, receipt, rating=2), consumer)
        assert credit(cast, cast.producer)["sections"]["ratings"]["count"] == 5  # type: ignore[index]
        assert level(cast, cast.producer) == "C"
        assert list(reasons(cast, cast.producer)) == ["low_ratings"]

    def test_a_risk_finding_is_shown_and_acted_on_by_a_sanction(self, cast: Cast) -> None:
        monitor = cast.log.register("风险监测中心", "monitor")
        _, _, receipt = cast.deliver(1)
        payload = risk_finding_payload(
            monitor.key, actor_subject(cast.producer.id).path, detector="no_independent_custody", evidence=[receipt],
            actor=cast.producer.id,
        )  # fmt: skip
        finding = cast.log.decide(payload, monitor.key)
        [fact] = credit(cast, cast.producer)["sections"]["risk_findings"]  # type: ignore[index]
        assert (fact["event"], fact["status"]) == (finding, "open")
        assert level(cast, cast.producer) == "B"  # a finding alone moves nothing
        acting = sanction_payload(cast.regulator.key, cast.producer.id, list_="black", reason="空包", finding=finding)
        black = cast.log.decide(acting, cast.regulator.key)
        [fact] = credit(cast, cast.producer)["sections"]["risk_findings"]  # type: ignore[index]
        assert (fact["status"], fact["actions"]) == ("acted", [black])

    def test_an_expired_licence_lowers_as_of_the_latest_entry(self) -> None:
        log = MemoryLog()
        tomorrow = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
        shop = log.register("过期网店", "merchant", licences=("food_business",), valid_until=format_time(tomorrow))
        assert log.row("credit", shop.id)["level"]["level"] == "B"  # registered before the licence ran out
        regulator = log.register("监管局", "regulator")
        later = tomorrow + timedelta(days=1)
        complaint = complaint_payload(regulator.key, actor_subject(shop.id).path, category="other", time=later)
        log.decide(complaint, regulator.key, at=later)
        file = log.row("credit", shop.id)
        assert file["as_of"] == file["level"]["as_of"] == format_time(later)
        assert file["level"]["level"] == "C"
        assert [r["reason"] for r in file["level"]["because"]] == ["expired_licences"]


class TestTheRule:
    def test_a_sanction_expires_at_its_until(self) -> None:
        fact = sanction({"until": "2026-12-01T00:00:00Z"})
        assert sanction_status(fact, NOW - timedelta(seconds=1)) == "in_force"
        assert sanction_status(fact, NOW) == "expired"
        assert sanction_status(sanction({"lifted": {"event": "f" * 64, "at": "", "by": "R"}}), NOW) == "lifted"

    def test_an_expired_black_listing_no_longer_sets_d(self) -> None:
        sections: CreditSections = {"sanctions": [sanction({"until": "2026-12-01T00:00:00Z"})]}
        assert credit_level(sections, NOW - timedelta(days=1))["level"] == "D"
        assert credit_level(sections, NOW)["level"] == "B"

    def test_black_wins_over_red_and_levels_stay_within_a_to_d(self) -> None:
        both: CreditSections = {"sanctions": [sanction({}), sanction({"list": "red", "event": "f" * 64})]}
        assert credit_level(both, NOW)["level"] == "D"
        many_red: CreditSections = {
            "sanctions": [sanction({"list": "red"})],
            "ratings": {"count": 20, "sum": 100, "stars": [0, 0, 0, 0, 20], "latest": "a" * 64},
        }
        result = credit_level(many_red, NOW)
        assert result["level"] == "A"
        assert [r["reason"] for r in result["because"]] == ["red_list", "high_ratings"]

    def test_every_lowering_reason_counts_once(self) -> None:
        complaint = {
            "at": "2026-01-01T00:00:00Z", "subject": "actor/x", "category": "quality", "channel": "consumer",
            "outcome": "upheld", "reason": "violation_found", "resolution": "r" * 64,
            "resolved_at": "2026-01-02T00:00:00Z", "resolution_seconds": 86400,
        }  # fmt: skip
        sections: CreditSections = {
            "complaints": [{**complaint, "event": str(n) * 64} for n in range(3)],  # type: ignore[typeddict-item]
        }
        result = credit_level(sections, NOW)
        assert result["level"] == "C"
        assert result["because"] == [
            {"reason": "upheld_complaints", "effect": "lowers", "events": ["0" * 64, "1" * 64, "2" * 64]}
        ]
        sections["commitments"] = [
            {"event": "c" * 64, "at": "", "commitment": "seven_day_returns", "status": "broken", "broken_by": None}
        ]
        assert credit_level(sections, NOW)["level"] == "D"
