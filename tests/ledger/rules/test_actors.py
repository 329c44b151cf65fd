"""Who is who (ledger.rules.actors): genesis, registrations, key events and sanctions, decided in memory."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings

from ledger import errors
from ledger.events import EventPayload
from ledger.events.builders import Registrar, key_update_payload, registration_payload, sanction_payload
from ledger.events.payload import format_time
from signer.keys import SigningKey
from tests.ledger.conftest import ORIGIN, REGISTRAR_ID, make_uscc
from tests.ledger.rules.conftest import PREFIX, Cast
from tests.ledger.rules.memory import MemoryLog, at_time
from tests.scenarios.world import Party
from tests.strategies import company_prefix_pairs

UNREGISTERED = make_uscc(9999)  # a valid USCC that no test registers


def registration(
    log: MemoryLog, actor_id: str, key: SigningKey, *roles: str, parents: Sequence[str] = (),
    prefixes: Sequence[str] = (),
) -> EventPayload:  # fmt: skip
    """The genesis registrar registers ``actor_id`` (a merchant unless ``roles`` say otherwise) with ``key``."""
    return registration_payload(
        log.registrar.key, actor_id, "曲靖云品", roles or ("merchant",), [key.public_key], gs1_prefixes=prefixes,
        parents=parents,
    )  # fmt: skip


class TestGenesis:
    def test_genesis_names_the_log_and_registers_its_registrars(self, log: MemoryLog) -> None:
        assert log.row("log", "genesis")["origin"] == ORIGIN
        assert log.row("actors", REGISTRAR_ID)["roles"] == ["registrar"]
        assert log.row("keys", log.registrar.key.kid)["actor"] == REGISTRAR_ID
        assert {log.log_key.kid, log.registrar.key.kid} <= {
            key for view, key in log.views.rows if view == "public_keys"
        }

    def test_a_second_genesis_is_refused(self, log: MemoryLog) -> None:
        log.refuse(errors.GenesisViolation, log.genesis_payload(), log.log_key)

    def test_entry_0_must_be_a_genesis(self) -> None:
        log, key = MemoryLog(genesis=False), SigningKey.generate()
        payload = registration_payload(key, REGISTRAR_ID, "登记机关", ["registrar"], [key.public_key])
        log.refuse(errors.GenesisViolation, payload, key)  # signed by the key it introduces, so authentic

    def test_genesis_is_signed_by_the_operator_key_it_names(self) -> None:
        log = MemoryLog(genesis=False)
        payload = dataclasses.replace(log.genesis_payload(), actor=log.registrar.key.kid)
        log.refuse(errors.GenesisViolation, payload, log.registrar.key)

    def test_genesis_carries_no_other_signature(self) -> None:
        log = MemoryLog(genesis=False)
        log.refuse(errors.NotAuthorized, log.genesis_payload(), log.log_key, log.registrar.key)

    def test_a_registrar_named_twice_is_refused(self) -> None:
        log = MemoryLog(genesis=False)
        twice = [Registrar(REGISTRAR_ID, "登记机关", (SigningKey.generate().public_key,)) for _ in range(2)]
        log.refuse(errors.ActorExists, log.genesis_payload(*twice), log.log_key)


class TestActorRegister:
    def test_a_registration_records_the_actor_its_keys_and_prefixes(self, log: MemoryLog) -> None:
        key = SigningKey.generate()
        payload = registration_payload(
            log.registrar.key, UNREGISTERED, "宣威火腿厂", ["producer"], [key.public_key], gs1_prefixes=["6901234"]
        )
        event, changes = log.changes(payload, log.registrar.key)
        actor = changes[("actors", UNREGISTERED)]
        assert actor is not None
        assert (actor["roles"], actor["keys"], actor["registration"]) == (["producer"], [key.kid], event)
        assert log.row("keys", key.kid)["actor"] == UNREGISTERED
        assert log.row("gs1_prefixes", "6901234") == {"actors": [UNREGISTERED], "registered_by": UNREGISTERED}
        assert log.row("gs1_prefixes", "690123") == {"actors": [UNREGISTERED], "registered_by": None}

    def test_an_update_follows_the_latest_registration_and_replaces_roles_and_prefixes(self, cast: Cast) -> None:
        log, producer = cast.log, cast.producer
        key_row = log.row("keys", producer.key.kid)
        payload = registration_payload(
            log.registrar.key, producer.id, "老浦火腿", ["producer", "merchant"], [producer.key.public_key],
            gs1_prefixes=["690999"], parents=[str(log.row("actors", producer.id)["registration"])],
        )  # fmt: skip
        event = log.decide(payload, log.registrar.key)
        actor = log.row("actors", producer.id)
        assert (actor["roles"], actor["gs1_prefixes"], actor["registration"]) == (
            ["merchant", "producer"], ["690999"], event,
        )  # fmt: skip
        assert log.absent("gs1_prefixes", PREFIX)  # released
        assert log.row("keys", producer.key.kid) == key_row  # a key granted again keeps its validity

    def test_only_a_registrar_registers(self, cast: Cast) -> None:
        payload = registration_payload(cast.merchant.key, UNREGISTERED, "某店", ["merchant"], [b"k" * 32])
        cast.log.refuse(errors.NotAuthorized, payload, cast.merchant.key)

    def test_an_actor_is_registered_once(self, cast: Cast) -> None:
        log = cast.log
        log.refuse(errors.ActorExists, registration(log, cast.merchant.id, SigningKey.generate()), log.registrar.key)

    def test_an_update_has_one_parent(self, cast: Cast) -> None:
        log, merchant = cast.log, cast.merchant
        parents = [str(log.row("actors", merchant.id)["registration"]), cast.production]
        payload = registration(log, merchant.id, merchant.key, parents=parents)
        log.refuse(errors.WrongParents, payload, log.registrar.key)

    def test_an_unregistered_actor_cannot_be_updated(self, cast: Cast) -> None:
        log = cast.log
        parents = [str(log.row("actors", cast.merchant.id)["registration"])]
        log.refuse(
            errors.UnknownActor,
            registration(log, UNREGISTERED, SigningKey.generate(), parents=parents),
            log.registrar.key,
        )

    def test_an_update_of_an_old_registration_is_stale(self, cast: Cast) -> None:
        log, merchant = cast.log, cast.merchant
        first = str(log.row("actors", merchant.id)["registration"])
        log.decide(
            registration(log, merchant.id, merchant.key, "merchant", "courier", parents=[first]), log.registrar.key
        )
        log.refuse(errors.StaleUpdate, registration(log, merchant.id, merchant.key, parents=[first]), log.registrar.key)

    def test_a_key_belongs_to_one_actor(self, cast: Cast) -> None:
        log = cast.log
        log.refuse(errors.NotAuthorized, registration(log, UNREGISTERED, cast.merchant.key), log.registrar.key)

    @settings(max_examples=60, deadline=None)
    @given(prefixes=company_prefix_pairs())
    def test_no_company_prefix_equals_extends_or_is_extended_by_another_actors(self, prefixes: tuple[str, str]) -> None:
        log = MemoryLog()
        held, claimed = prefixes
        log.register("甲公司", "producer", prefixes=(held,))
        payload = registration(log, UNREGISTERED, SigningKey.generate(), "producer", prefixes=[claimed])
        if held.startswith(claimed) or claimed.startswith(held):
            log.refuse(errors.PrefixTaken, payload, log.registrar.key)
        else:
            log.decide(payload, log.registrar.key)
            assert log.row("gs1_prefixes", claimed)["registered_by"] == UNREGISTERED


def key_event(cast: Cast, actor: Party) -> str:
    return str(cast.log.row("actors", actor.id)["key_event"])


class TestActorKeys:
    def test_a_registrar_adds_a_key_and_the_actor_revokes_its_old_one(self, cast: Cast) -> None:
        log, merchant, new = cast.log, cast.merchant, SigningKey.generate()
        add = key_update_payload(
            log.registrar.key, merchant.id, key_event(cast, merchant), add=[(new.public_key, None)]
        )
        added = log.decide(add, log.registrar.key)
        assert log.row("keys", new.kid)["actor"] == merchant.id
        revoke = key_update_payload(new, merchant.id, added, revoke=[merchant.key.kid])
        revoked = log.decide(revoke, new)
        assert log.row("keys", merchant.key.kid)["revoked_at"] is not None
        assert log.row("actors", merchant.id)["keys"] == [merchant.key.kid, new.kid]
        assert key_event(cast, merchant) == revoked

    def test_nothing_signed_by_a_revoked_key_is_accepted_after_its_revocation(self, cast: Cast) -> None:
        log, producer = cast.log, cast.producer
        log.decide(
            key_update_payload(producer.key, producer.id, key_event(cast, producer), revoke=[producer.key.kid]),
            producer.key,
        )
        log.refuse(errors.KeyRevoked, cast.production_payload(), producer.key)

    def test_a_key_is_refused_after_its_valid_until(self, cast: Cast) -> None:
        log, producer, new = cast.log, cast.producer, SigningKey.generate()
        until = datetime.now(UTC) + timedelta(days=1)
        grant = [(new.public_key, format_time(until))]
        log.decide(
            key_update_payload(log.registrar.key, producer.id, key_event(cast, producer), add=grant), log.registrar.key
        )
        log.decide(cast.production_payload(2, key=new), new)
        later = until + timedelta(seconds=1)
        log.refuse(errors.KeyExpired, at_time(cast.production_payload(3, key=new), later), new, at=later)

    def test_a_key_event_follows_the_latest_key_event(self, cast: Cast) -> None:
        log, merchant = cast.log, cast.merchant
        stale = key_update_payload(
            merchant.key, merchant.id, cast.production, add=[(SigningKey.generate().public_key, None)]
        )
        log.refuse(errors.StaleUpdate, stale, merchant.key)

    def test_a_key_event_has_one_parent(self, cast: Cast) -> None:
        log, merchant = cast.log, cast.merchant
        payload = key_update_payload(merchant.key, merchant.id, key_event(cast, merchant), add=[(b"n" * 32, None)])
        log.refuse(errors.WrongParents, dataclasses.replace(payload, parents=()), merchant.key)

    def test_an_actor_revokes_only_its_own_keys(self, cast: Cast) -> None:
        log, merchant = cast.log, cast.merchant
        payload = key_update_payload(
            merchant.key, merchant.id, key_event(cast, merchant), revoke=[cast.courier.key.kid]
        )
        log.refuse(errors.NotAuthorized, payload, merchant.key)

    def test_a_key_is_revoked_once(self, cast: Cast) -> None:
        log, merchant, new = cast.log, cast.merchant, SigningKey.generate()
        grant, old = [(new.public_key, None)], [merchant.key.kid]
        log.decide(
            key_update_payload(log.registrar.key, merchant.id, key_event(cast, merchant), add=grant), log.registrar.key
        )
        log.decide(key_update_payload(new, merchant.id, key_event(cast, merchant), revoke=old), new)
        log.refuse(
            errors.NotAuthorized, key_update_payload(new, merchant.id, key_event(cast, merchant), revoke=old), new
        )

    def test_another_actor_cannot_change_an_actors_keys(self, cast: Cast) -> None:
        log, merchant = cast.log, cast.merchant
        payload = key_update_payload(
            cast.courier.key, merchant.id, key_event(cast, merchant), revoke=[merchant.key.kid]
        )
        log.refuse(errors.NotAuthorized, payload, cast.courier.key)

    def test_an_unregistered_actor_has_no_keys_to_change(self, cast: Cast) -> None:
        log = cast.log
        payload = key_update_payload(log.registrar.key, UNREGISTERED, cast.production, add=[(b"n" * 32, None)])
        log.refuse(errors.UnknownActor, payload, log.registrar.key)


class TestSanction:
    def test_a_black_list_sanction_stops_production_until_it_is_lifted(self, cast: Cast) -> None:
        log, regulator, producer = cast.log, cast.regulator.key, cast.producer
        sanction = log.decide(sanction_payload(regulator, producer.id, list_="black", reason="伪造检验报告"), regulator)
        assert log.row("sanctions", producer.id) == {"active": [{"event": sanction, "list": "black", "until": None}]}
        log.refuse(errors.BlackListed, cast.production_payload(), producer.key)
        lift = sanction_payload(regulator, producer.id, list_="black", reason="整改完成", lifts=sanction)
        log.decide(lift, regulator)
        assert log.row("sanctions", producer.id) == {"active": []}
        log.decide(cast.production_payload(), producer.key)

    def test_a_sanction_ends_at_its_until(self, cast: Cast) -> None:
        log, regulator, producer = cast.log, cast.regulator.key, cast.producer
        until = datetime.now(UTC) + timedelta(days=1)
        payload = sanction_payload(regulator, producer.id, list_="black", reason="抽检不合格", until=format_time(until))
        log.decide(payload, regulator)
        later = until + timedelta(seconds=1)
        log.decide(at_time(cast.production_payload(), later), producer.key, at=later)
        assert log.row("batches", cast.production_payload().subject)["producer"] == producer.id

    def test_a_red_list_entry_does_not_stop_production(self, cast: Cast) -> None:
        log, regulator, producer = cast.log, cast.regulator.key, cast.producer
        log.decide(sanction_payload(regulator, producer.id, list_="red", reason="诚信经营示范"), regulator)
        log.decide(cast.production_payload(), producer.key)

    def test_only_a_regulator_sanctions(self, cast: Cast) -> None:
        payload = sanction_payload(cast.merchant.key, cast.producer.id, list_="black", reason="差评")
        cast.log.refuse(errors.NotAuthorized, payload, cast.merchant.key)

    def test_an_unregistered_actor_cannot_be_sanctioned(self, cast: Cast) -> None:
        payload = sanction_payload(cast.regulator.key, UNREGISTERED, list_="black", reason="无证经营")
        cast.log.refuse(errors.UnknownActor, payload, cast.regulator.key)

    @pytest.mark.parametrize("case", ["lift of no sanction", "new sanction with a parent"])
    def test_a_sanction_lifts_an_active_one_or_has_no_parent(self, cast: Cast, case: str) -> None:
        regulator = cast.regulator.key
        if case == "lift of no sanction":
            payload = sanction_payload(regulator, cast.producer.id, list_="black", reason="x", lifts=cast.production)
        else:
            new = sanction_payload(regulator, cast.producer.id, list_="black", reason="x")
            payload = dataclasses.replace(new, parents=(cast.production,))
        cast.log.refuse(errors.WrongParents, payload, regulator)
