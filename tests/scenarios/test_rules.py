"""Every rule of DESIGN §4, one violation at a time, over a real ledger.

Each negative test asserts the rule's own error type through ``world.rejected`` (exactly that type, and not one
row of any table changed); positive counterparts show the same event goes through once the rule is satisfied.
Tests are grouped by event kind. Payloads that must differ from an already logged one (a second registration,
a second recall, ...) change some field, since resubmitting an identical event is answered idempotently.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ledger.errors import (
    ActorExists,
    AlreadySigned,
    BatchExists,
    BatchExpired,
    BatchOnHold,
    BatchRecalled,
    BlackListed,
    ComplaintClosed,
    CustodyFork,
    GenesisViolation,
    InputRecalled,
    InsufficientQuantity,
    InvalidIdentifier,
    InvalidPayload,
    KeyExpired,
    KeyRevoked,
    LicenceMissing,
    NotAuthorized,
    NotConsignee,
    ParcelExists,
    PrefixNotOwned,
    PrefixTaken,
    ReceiptRequired,
    ReviewLimit,
    SerialAlreadySold,
    SerialNotIssued,
    StaleUpdate,
    UnknownActor,
    UnknownBatch,
    UnknownComplaint,
    UnknownKey,
    UnknownParcel,
    WrongCustodian,
    WrongParents,
)
from ledger.events import EventPayload
from ledger.events.builders import (
    Content,
    Licence,
    Registrar,
    complaint_payload,
    dispatch_payload,
    genesis_envelope,
    handoff_payload,
    inspection_payload,
    key_update_payload,
    listing_payload,
    production_payload,
    recall_payload,
    registration_payload,
    resolution_payload,
    review_payload,
    sanction_payload,
    signature_payload,
)
from ledger.identifiers import batch_subject, item_subject
from signer.keys import SigningKey
from tests.ledger.conftest import ORIGIN, REGISTRAR_ID, make_uscc
from tests.scenarios.world import VALID_UNTIL, Party, World, gtin, sscc

PAST = "2020-01-01T00:00:00Z"
PREFIX = "690123"
LOT = "XW2026-11"
UNREGISTERED = make_uscc(9999)  # a valid USCC that no test registers
NOWHERE = "f" * 64  # a well-formed event id that is in no log
PLACE = "曲靖市麒麟区"


# ---- the world these tests share ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Ham:
    """A food producer with one batch of 100, a licensed merchant, a courier and a regulator."""

    producer: Party
    merchant: Party
    courier: Party
    regulator: Party
    batch: str
    production: str


@pytest.fixture
def ham(world: World) -> Ham:
    producer = world.register("宣威市老浦火腿有限公司", "producer", licences=("food_production",), prefixes=(PREFIX,))
    merchant = world.register("曲靖云品优选电子商务有限公司", "merchant", licences=("food_business",))
    courier = world.register("曲靖速达快递", "courier")
    regulator = world.register("曲靖市市场监督管理局", "regulator")
    production = world.produce(producer, gtin(PREFIX, 1), LOT, 100)
    return Ham(producer, merchant, courier, regulator, batch_subject(gtin(PREFIX, 1), LOT).path, production)


def view(world: World, name: str, key: str) -> dict[str, Any]:
    row = world.ledger.view(name, key)
    assert row is not None, f"no {name} row {key}"
    return row


def registration_of(world: World, party: Party) -> str:
    return str(view(world, "actors", party.id)["registration"])


def key_event_of(world: World, party: Party) -> str:
    return str(view(world, "actors", party.id)["key_event"])


def register_payload(
    world: World,
    actor_id: str,
    roles: tuple[str, ...],
    keys: tuple[bytes, ...],
    *,
    name: str = "某某商贸有限公司",
    licences: tuple[Licence, ...] = (),
    prefixes: tuple[str, ...] = (),
    parents: tuple[str, ...] = (),
    signer: SigningKey | None = None,
) -> EventPayload:
    """An ``actor.register`` payload signed (by default) by the genesis registrar."""
    return registration_payload(
        signer or world.registrar, actor_id, name, roles, keys, licences=licences, gs1_prefixes=prefixes,
        parents=parents,
    )  # fmt: skip


def with_data(payload: EventPayload, **changes: Any) -> EventPayload:
    return dataclasses.replace(payload, data={**payload.data, **changes})


def produce_payload(
    producer: Party,
    item: int = 2,
    lot: str = "LOT-2",
    *,
    quantity: int = 10,
    category: str = "food",
    prefix: str = PREFIX,
    inputs: tuple[str, ...] = (),
    time: datetime | None = None,
) -> EventPayload:
    return production_payload(
        producer.key, gtin(prefix, item), lot, product="宣威火腿", category=category, quantity=quantity, unit="件",
        place="云南省曲靖市宣威市", inputs=inputs, time=time,
    )  # fmt: skip


def second_batch(world: World, ham: Ham) -> tuple[str, str]:
    """Another batch (of 50) by the same producer: its path and production event."""
    production = world.produce(ham.producer, gtin(PREFIX, 2), "XW2026-12", 50)
    return batch_subject(gtin(PREFIX, 2), "XW2026-12").path, production


def deliver(
    world: World, ham: Ham, number: int, contents: list[tuple[str, int]] | None = None, condition: str = "intact"
) -> tuple[SigningKey, str, str]:
    """A consumer buys from the producer, a courier carries it, the consumer signs: (key, parcel, signature)."""
    consumer = SigningKey.generate()
    parcel = sscc(number)
    world.dispatch(ham.producer, parcel, contents or [(ham.batch, 1)], consignee=consumer)
    world.handoff(ham.courier, parcel)
    return consumer, parcel, world.sign_for(consumer, parcel, condition)


def deliver_to_merchant(world: World, ham: Ham, number: int, quantity: int = 10) -> str:
    parcel = sscc(number)
    world.dispatch(ham.producer, parcel, [(ham.batch, quantity)], to=ham.merchant)
    world.handoff(ham.courier, parcel)
    world.handoff(ham.merchant, parcel, "曲靖云品仓库")
    return parcel


def sanction(
    world: World, ham: Ham, target: str, list_: str = "black", *, until: str | None = None, lifts: str | None = None
) -> str:
    payload = sanction_payload(
        ham.regulator.key, target, list_=list_, reason="lifted" if lifts else "伪造检验报告", until=until, lifts=lifts
    )
    return world.append(payload, ham.regulator.key).event_id


def listing(ham: Ham, signer: SigningKey | None = None, price: int = 25800) -> EventPayload:
    return listing_payload(signer or ham.merchant.key, ham.batch, ham.production, price=price)


# ---- genesis -----------------------------------------------------------------------------------------------


class TestGenesis:
    """Genesis is entry 0 and only entry 0."""

    def test_a_second_genesis_is_refused(self, world: World) -> None:
        log_key = SigningKey.generate()
        envelope = genesis_envelope(
            ORIGIN, log_key, [Registrar(make_uscc(5000), "另一个登记机关", (log_key.public_key,))]
        )
        with world.rejected(GenesisViolation):
            world.ledger.append([envelope.to_json()])


# ---- actor.register ----------------------------------------------------------------------------------------


class TestActorRegister:
    """A registrar registers an organisation with a valid, unique USCC, roles, licences, prefixes and keys."""

    def test_a_registration_is_updated_with_its_latest_registration_as_parent(self, world: World) -> None:
        actor = world.register("曲靖云品", "merchant")
        first = registration_of(world, actor)
        payload = register_payload(
            world, actor.id, ("merchant", "producer"), (actor.key.public_key,), name="曲靖云品 v2",
            prefixes=(PREFIX,), parents=(first,),
        )  # fmt: skip
        second = world.append(payload, world.registrar).event_id
        row = view(world, "actors", actor.id)
        assert row["registration"] == second
        assert row["roles"] == ["merchant", "producer"]
        assert row["gs1_prefixes"] == [PREFIX]

    @pytest.mark.parametrize("existing", ["registered actor", "genesis registrar"])
    def test_registering_an_existing_actor_without_parent_is_refused(self, world: World, existing: str) -> None:
        actor_id = world.register("曲靖云品", "merchant").id if existing == "registered actor" else REGISTRAR_ID
        payload = register_payload(world, actor_id, ("merchant",), (SigningKey.generate().public_key,), name="重名公司")
        with world.rejected(ActorExists):
            world.append(payload, world.registrar)

    def test_an_update_following_an_old_registration_is_stale(self, world: World) -> None:
        actor = world.register("曲靖云品", "merchant")
        first = registration_of(world, actor)
        keys = (actor.key.public_key,)
        world.append(
            register_payload(world, actor.id, ("merchant",), keys, name="v2", parents=(first,)), world.registrar
        )
        with world.rejected(StaleUpdate):
            world.append(
                register_payload(world, actor.id, ("merchant",), keys, name="v3", parents=(first,)), world.registrar
            )

    def test_an_update_of_an_unregistered_actor_is_refused(self, world: World) -> None:
        other = registration_of(world, world.register("曲靖云品", "merchant"))
        payload = register_payload(
            world, UNREGISTERED, ("merchant",), (SigningKey.generate().public_key,), parents=(other,)
        )
        with world.rejected(UnknownActor):
            world.append(payload, world.registrar)

    def test_an_update_with_two_parents_is_refused(self, world: World) -> None:
        actor = world.register("曲靖云品", "merchant")
        other = world.register("另一家", "merchant")
        parents = (registration_of(world, actor), registration_of(world, other))
        payload = register_payload(world, actor.id, ("merchant",), (actor.key.public_key,), name="v2", parents=parents)
        with world.rejected(WrongParents):
            world.append(payload, world.registrar)

    @pytest.mark.parametrize("role", ["producer", "merchant", "courier", "regulator", "lab", "witness"])
    def test_only_a_registrar_registers(self, world: World, role: str) -> None:
        signer = world.register("某机构", role)
        payload = register_payload(
            world, make_uscc(5000), ("merchant",), (SigningKey.generate().public_key,), signer=signer.key
        )
        with world.rejected(NotAuthorized):
            world.append(payload, signer.key)

    @pytest.mark.parametrize(
        ("owned", "claimed"),
        [("690123", "690123"), ("690123", "6901234"), ("6901234", "690123"), ("69012345", "690123")],
        ids=["same", "longer-extends-another", "shorter-extended-by-another", "shorter-by-two-digits"],
    )
    def test_a_prefix_overlapping_another_actors_is_taken(self, world: World, owned: str, claimed: str) -> None:
        world.register("甲公司", "producer", prefixes=(owned,))
        payload = register_payload(
            world, make_uscc(5000), ("producer",), (SigningKey.generate().public_key,), prefixes=(claimed,)
        )
        with world.rejected(PrefixTaken):
            world.append(payload, world.registrar)

    def test_sibling_prefixes_of_two_actors_and_an_own_longer_prefix_are_allowed(self, world: World) -> None:
        first = world.register("甲公司", "producer", prefixes=("6901234",))
        second = world.register("乙公司", "producer", prefixes=("6901235",))
        payload = register_payload(
            world, first.id, ("producer",), (first.key.public_key,), name="甲公司", prefixes=("6901234", "69012349"),
            parents=(registration_of(world, first),),
        )  # fmt: skip
        world.append(payload, world.registrar)
        assert view(world, "gs1_prefixes", "6901235")["registered_by"] == second.id
        assert view(world, "gs1_prefixes", "69012349")["registered_by"] == first.id

    def test_a_prefix_given_up_by_one_actor_still_guards_a_siblings_longer_prefix(self, world: World) -> None:
        """A gives up 6901234 while B keeps 6901235: nobody may now take 690123, which B's prefix extends."""
        first = world.register("甲公司", "producer", prefixes=("6901234",))
        world.register("乙公司", "producer", prefixes=("6901235",))
        drop = register_payload(
            world, first.id, ("producer",), (first.key.public_key,), name="甲公司",
            parents=(registration_of(world, first),),
        )  # fmt: skip
        world.append(drop, world.registrar)
        payload = register_payload(
            world, make_uscc(5000), ("producer",), (SigningKey.generate().public_key,), prefixes=("690123",)
        )
        with world.rejected(PrefixTaken):
            world.append(payload, world.registrar)

    def test_an_update_cannot_claim_a_shorter_prefix_that_another_actor_extends(self, world: World) -> None:
        """B holds 6901235; A (registered after B, holding 6901234) may not widen itself to 690123."""
        world.register("乙公司", "producer", prefixes=("6901235",))
        first = world.register("甲公司", "producer", prefixes=("6901234",))
        widen = register_payload(
            world, first.id, ("producer",), (first.key.public_key,), name="甲公司", prefixes=("690123",),
            parents=(registration_of(world, first),),
        )  # fmt: skip
        with world.rejected(PrefixTaken):
            world.append(widen, world.registrar)

    def test_a_key_of_another_actor_cannot_be_registered(self, world: World) -> None:
        owner = world.register("曲靖云品", "merchant")
        payload = register_payload(world, make_uscc(5000), ("merchant",), (owner.key.public_key,))
        with world.rejected(NotAuthorized):
            world.append(payload, world.registrar)

    @pytest.mark.parametrize("key", ["never seen", "introduced by the event itself"])
    def test_a_registration_signed_by_an_unregistered_key_is_refused(self, world: World, key: str) -> None:
        stranger = SigningKey.generate()
        granted = stranger if key == "introduced by the event itself" else SigningKey.generate()
        payload = register_payload(world, make_uscc(5000), ("registrar",), (granted.public_key,), signer=stranger)
        with world.rejected(UnknownKey):
            world.append(payload, stranger)

    @pytest.mark.parametrize("field", ["subject USCC", "GS1 prefix"])
    def test_an_invalid_identifier_is_refused(self, world: World, field: str) -> None:
        good = make_uscc(5000)
        bad = good[:-1] + ("0" if good[-1] != "0" else "1")
        payload = (
            register_payload(world, bad, ("merchant",), (SigningKey.generate().public_key,))
            if field == "subject USCC"
            else register_payload(world, good, ("producer",), (SigningKey.generate().public_key,), prefixes=("69012",))
        )
        with world.rejected(InvalidIdentifier):
            world.append(payload, world.registrar)

    @pytest.mark.parametrize(
        "roles",
        [["producer", "merchant"], ["wizard"], ["merchant", "merchant"], []],
        ids=["unsorted", "unknown", "repeated", "none"],
    )
    def test_invalid_roles_are_refused(self, world: World, roles: list[str]) -> None:
        payload = with_data(
            register_payload(world, make_uscc(5000), ("merchant",), (SigningKey.generate().public_key,)), roles=roles
        )
        with world.rejected(InvalidPayload):
            world.append(payload, world.registrar)


# ---- actor.keys --------------------------------------------------------------------------------------------


class TestActorKeys:
    """A registrar, or a current key of the actor itself, adds and revokes keys, following the last key event."""

    def test_an_actors_own_key_adds_a_key_that_can_then_sign(self, world: World, ham: Ham) -> None:
        new = SigningKey.generate()
        update = key_update_payload(
            ham.merchant.key, ham.merchant.id, key_event_of(world, ham.merchant), add=[(new.public_key, VALID_UNTIL)]
        )
        event = world.append(update, ham.merchant.key).event_id
        assert view(world, "keys", new.kid)["actor"] == ham.merchant.id
        assert key_event_of(world, ham.merchant) == event
        world.append(listing(ham, new), new)

    def test_a_registrar_revokes_a_key(self, world: World, ham: Ham) -> None:
        update = key_update_payload(
            world.registrar, ham.merchant.id, key_event_of(world, ham.merchant), revoke=[ham.merchant.key.kid]
        )
        world.append(update, world.registrar)
        assert view(world, "keys", ham.merchant.key.kid)["revoked_at"] is not None

    def test_a_key_update_not_following_the_last_key_event_is_stale(self, world: World, ham: Ham) -> None:
        registration = registration_of(world, ham.merchant)
        add = [(SigningKey.generate().public_key, None)]
        world.append(key_update_payload(ham.merchant.key, ham.merchant.id, registration, add=add), ham.merchant.key)
        again = key_update_payload(
            ham.merchant.key, ham.merchant.id, registration, add=[(SigningKey.generate().public_key, None)]
        )
        with world.rejected(StaleUpdate):
            world.append(again, ham.merchant.key)

    def test_the_keys_of_an_unregistered_actor_cannot_change(self, world: World, ham: Ham) -> None:
        update = key_update_payload(
            world.registrar,
            UNREGISTERED,
            registration_of(world, ham.merchant),
            add=[(SigningKey.generate().public_key, None)],
        )
        with world.rejected(UnknownActor):
            world.append(update, world.registrar)

    @pytest.mark.parametrize(
        "case", ["another actor's key", "an unknown key", "a key already revoked", "signed by another merchant"]
    )
    def test_a_key_update_the_signer_may_not_make(self, world: World, ham: Ham, case: str) -> None:
        merchant = ham.merchant
        second = SigningKey.generate()
        if case == "another actor's key":
            update = key_update_payload(
                merchant.key, merchant.id, key_event_of(world, merchant), revoke=[ham.producer.key.kid]
            )
        elif case == "an unknown key":
            update = key_update_payload(merchant.key, merchant.id, key_event_of(world, merchant), revoke=[second.kid])
        elif case == "a key already revoked":
            add = key_update_payload(
                merchant.key, merchant.id, key_event_of(world, merchant), add=[(second.public_key, None)]
            )
            world.append(add, merchant.key)
            revoke = key_update_payload(merchant.key, merchant.id, key_event_of(world, merchant), revoke=[second.kid])
            world.append(revoke, merchant.key)
            update = key_update_payload(
                world.registrar, merchant.id, key_event_of(world, merchant), revoke=[second.kid]
            )
        else:
            update = key_update_payload(
                merchant.key, ham.producer.id, key_event_of(world, ham.producer), add=[(second.public_key, None)]
            )
        signer = world.registrar if update.actor == world.registrar.kid else merchant.key
        with world.rejected(NotAuthorized):
            world.append(update, signer)

    def test_nothing_signed_by_a_key_after_its_revocation_is_accepted(self, world: World, ham: Ham) -> None:
        merchant = ham.merchant
        second = SigningKey.generate()
        world.append(
            key_update_payload(
                merchant.key, merchant.id, key_event_of(world, merchant), add=[(second.public_key, None)]
            ),
            merchant.key,
        )
        world.append(
            key_update_payload(second, merchant.id, key_event_of(world, merchant), revoke=[merchant.key.kid]), second
        )
        with world.rejected(KeyRevoked):
            world.append(listing(ham), merchant.key)
        again = key_update_payload(
            merchant.key, merchant.id, key_event_of(world, merchant), add=[(SigningKey.generate().public_key, None)]
        )
        with world.rejected(KeyRevoked):
            world.append(again, merchant.key)
        regrant = key_update_payload(
            world.registrar, merchant.id, key_event_of(world, merchant), add=[(merchant.key.public_key, None)]
        )
        world.append(regrant, world.registrar)  # granting a revoked key again does not revive it
        with world.rejected(KeyRevoked):
            world.append(listing(ham), merchant.key)
        world.append(listing(ham, second), second)

    def test_a_key_past_its_validity_cannot_sign(self, world: World, ham: Ham) -> None:
        merchant = ham.merchant
        expired, valid = SigningKey.generate(), SigningKey.generate()
        update = key_update_payload(
            merchant.key, merchant.id, key_event_of(world, merchant),
            add=[(expired.public_key, PAST), (valid.public_key, VALID_UNTIL)],
        )  # fmt: skip
        world.append(update, merchant.key)
        with world.rejected(KeyExpired):
            world.append(listing(ham, expired), expired)
        world.append(listing(ham, valid), valid)


# ---- production --------------------------------------------------------------------------------------------


class TestProduction:
    """A licensed, unsanctioned producer registers a new batch under one of its own company prefixes."""

    def test_agricultural_products_need_no_licence(self, world: World) -> None:
        farm = world.register("宣威市某农场", "producer", prefixes=("690555",))
        world.append(produce_payload(farm, category="agricultural_product", prefix="690555"), farm.key)

    def test_a_processed_batch_follows_its_input_batches(self, world: World, ham: Ham) -> None:
        _, other_production = second_batch(world, ham)
        inputs = tuple(sorted((ham.production, other_production)))
        world.append(produce_payload(ham.producer, 3, "PROC-1", inputs=inputs), ham.producer.key)
        processed = view(world, "batches", batch_subject(gtin(PREFIX, 3), "PROC-1").path)
        assert processed["inputs"] == list(inputs)
        assert processed["holdings"] == {ham.producer.id: 10}

    def test_a_recalled_batch_is_not_an_input(self, world: World, ham: Ham) -> None:
        _, other_production = second_batch(world, ham)
        world.append(recall_payload(ham.regulator.key, ham.batch, ham.production, reason="safety", level=1),
                     ham.regulator.key)  # fmt: skip
        inputs = tuple(sorted((ham.production, other_production)))
        with world.rejected(InputRecalled):
            world.append(produce_payload(ham.producer, 3, "PROC-1", inputs=inputs), ham.producer.key)
        world.append(produce_payload(ham.producer, 3, "PROC-1", inputs=(other_production,)), ham.producer.key)

    def test_a_gtin_under_another_companys_prefix_is_refused(self, world: World, ham: Ham) -> None:
        forger = world.register("某食品厂", "producer", licences=("food_production",), prefixes=("690999",))
        with world.rejected(PrefixNotOwned):
            world.append(produce_payload(forger, 7, "FAKE1"), forger.key)

    def test_a_batch_is_produced_once(self, world: World, ham: Ham) -> None:
        with world.rejected(BatchExists):
            world.append(produce_payload(ham.producer, 1, LOT, quantity=999), ham.producer.key)

    @pytest.mark.parametrize(
        ("category", "held"),
        [
            ("food", ()),
            ("food", ("food_business",)),
            ("drug", ("food_production",)),
            ("medical_device", ("drug_manufacturing",)),
            ("agricultural_input", ()),
        ],
        ids=["food-none", "food-business-only", "drug-food-only", "device-drug-only", "agri-input-none"],
    )
    def test_a_category_needs_its_production_licence(self, world: World, category: str, held: tuple[str, ...]) -> None:
        producer = world.register("某工厂", "producer", licences=held, prefixes=("690555",))
        with world.rejected(LicenceMissing):
            world.append(produce_payload(producer, category=category, prefix="690555"), producer.key)

    def test_an_expired_licence_does_not_count(self, world: World) -> None:
        producer = SigningKey.generate()
        actor_id = make_uscc(5000)
        registration = register_payload(
            world, actor_id, ("producer",), (producer.public_key,), prefixes=("690555",),
            licences=(Licence("food_production", "SC-OLD", PAST),),
        )  # fmt: skip
        world.append(registration, world.registrar)
        with world.rejected(LicenceMissing):
            world.append(produce_payload(Party(actor_id, "某工厂", producer), prefix="690555"), producer)

    def test_a_black_listed_producer_cannot_produce(self, world: World, ham: Ham) -> None:
        sanction(world, ham, ham.producer.id)
        with world.rejected(BlackListed):
            world.append(produce_payload(ham.producer), ham.producer.key)

    def test_a_merchant_cannot_produce(self, world: World) -> None:
        merchant = world.register("某商贸", "merchant", licences=("food_production",), prefixes=("690555",))
        with world.rejected(NotAuthorized):
            world.append(produce_payload(merchant, prefix="690555"), merchant.key)

    @pytest.mark.parametrize("parent", ["registration", "listing", "not logged"])
    def test_an_input_must_be_a_production(self, world: World, ham: Ham, parent: str) -> None:
        if parent == "registration":
            input_ = registration_of(world, ham.producer)
        elif parent == "listing":
            input_ = world.append(listing(ham), ham.merchant.key).event_id
        else:
            input_ = NOWHERE
        with world.rejected(WrongParents):
            world.append(produce_payload(ham.producer, inputs=(input_,)), ham.producer.key)


# ---- inspection --------------------------------------------------------------------------------------------


class TestInspection:
    """The batch's producer, a lab or a regulator records an inspection following the production."""

    @pytest.mark.parametrize("who", ["producer", "lab", "regulator"])
    def test_the_producer_a_lab_or_a_regulator_inspects(self, world: World, ham: Ham, who: str) -> None:
        inspector = {"producer": ham.producer, "regulator": ham.regulator}.get(who) or world.register("检验所", "lab")
        payload = inspection_payload(inspector.key, ham.batch, ham.production, result="fail", standard="GB 2730-2015")
        event = world.append(payload, inspector.key).event_id
        assert view(world, "batches", ham.batch)["inspections"] == [{"event": event, "result": "fail"}]

    @pytest.mark.parametrize(
        "roles",
        [("producer",), ("merchant",), ("courier",), ("merchant", "producer")],
        ids=["another-producer", "merchant", "courier", "another-producer-merchant"],
    )
    def test_others_may_not_inspect(self, world: World, ham: Ham, roles: tuple[str, ...]) -> None:
        other = world.register("另一家公司", *roles, licences=("food_production",), prefixes=("690555",))
        payload = inspection_payload(other.key, ham.batch, ham.production, result="pass", standard="GB 2730-2015")
        with world.rejected(NotAuthorized):
            world.append(payload, other.key)

    def test_an_inspection_follows_the_production(self, world: World, ham: Ham) -> None:
        parent = registration_of(world, ham.producer)
        payload = inspection_payload(ham.regulator.key, ham.batch, parent, result="pass", standard="GB 2730-2015")
        with world.rejected(WrongParents):
            world.append(payload, ham.regulator.key)

    def test_a_failed_inspection_holds_the_batch_until_one_passes(self, world: World, ham: Ham) -> None:
        def inspect(inspector: Party, result: str) -> None:
            payload = inspection_payload(inspector.key, ham.batch, ham.production, result=result, standard="GB 2730")
            world.append(payload, inspector.key)

        inspect(ham.regulator, "fail")
        with world.rejected(BatchOnHold):
            world.append(listing(ham), ham.merchant.key)
        with world.rejected(BatchOnHold):
            world.dispatch(ham.producer, sscc(1), [(ham.batch, 1)], consignee=SigningKey.generate())
        inspect(ham.regulator, "pass")
        world.append(listing(ham), ham.merchant.key)
        deliver(world, ham, 1)
        assert view(world, "batches", ham.batch)["delivered"] == 1

    def test_an_unproduced_batch_cannot_be_inspected(self, world: World, ham: Ham) -> None:
        batch = batch_subject(gtin(PREFIX, 9), "NONE").path
        payload = inspection_payload(ham.regulator.key, batch, ham.production, result="pass", standard="GB 2730-2015")
        with world.rejected(UnknownBatch):
            world.append(payload, ham.regulator.key)


# ---- listing -----------------------------------------------------------------------------------------------


class TestListing:
    """A licensed, unsanctioned merchant lists a batch that exists and is neither recalled nor expired."""

    def test_a_licensed_merchant_lists_a_batch(self, world: World, ham: Ham) -> None:
        event = world.append(listing(ham), ham.merchant.key).event_id
        assert view(world, "batches", ham.batch)["listings"] == [{"event": event, "merchant": ham.merchant.id}]

    def test_a_recalled_batch_cannot_be_listed(self, world: World, ham: Ham) -> None:
        recall = recall_payload(ham.producer.key, ham.batch, ham.production, reason="safety", level=1)
        world.append(recall, ham.producer.key)
        with world.rejected(BatchRecalled):
            world.append(listing(ham), ham.merchant.key)

    def test_an_expired_batch_cannot_be_listed(self, world: World, ham: Ham) -> None:
        production = world.produce(ham.producer, gtin(PREFIX, 2), "OLD-1", 10, expiry="2020-01-01")
        batch = batch_subject(gtin(PREFIX, 2), "OLD-1").path
        with world.rejected(BatchExpired):
            world.append(listing_payload(ham.merchant.key, batch, production, price=100), ham.merchant.key)
        fresh = world.produce(ham.producer, gtin(PREFIX, 2), "NEW-1", 10, expiry="2099-12-31")
        fresh_batch = batch_subject(gtin(PREFIX, 2), "NEW-1").path
        world.append(listing_payload(ham.merchant.key, fresh_batch, fresh, price=100), ham.merchant.key)

    @pytest.mark.parametrize(
        "held", [(), ("drug_business",), ("food_production",)], ids=["none", "drug-business", "food-production"]
    )
    def test_a_merchant_needs_the_categorys_business_licence(
        self, world: World, ham: Ham, held: tuple[str, ...]
    ) -> None:
        merchant = world.register("无证商户", "merchant", licences=held)
        with world.rejected(LicenceMissing):
            world.append(listing(ham, merchant.key), merchant.key)

    def test_a_black_listed_merchant_cannot_list(self, world: World, ham: Ham) -> None:
        sanction(world, ham, ham.merchant.id)
        with world.rejected(BlackListed):
            world.append(listing(ham), ham.merchant.key)

    def test_only_a_merchant_lists(self, world: World, ham: Ham) -> None:
        with world.rejected(NotAuthorized):
            world.append(listing(ham, ham.producer.key), ham.producer.key)

    def test_a_listing_follows_the_production(self, world: World, ham: Ham) -> None:
        payload = listing_payload(ham.merchant.key, ham.batch, registration_of(world, ham.producer), price=100)
        with world.rejected(WrongParents):
            world.append(payload, ham.merchant.key)

    def test_an_unproduced_batch_cannot_be_listed(self, world: World, ham: Ham) -> None:
        batch = batch_subject(gtin(PREFIX, 9), "NONE").path
        with world.rejected(UnknownBatch):
            world.append(listing_payload(ham.merchant.key, batch, ham.production, price=100), ham.merchant.key)


# ---- recall ------------------------------------------------------------------------------------------------


class TestRecall:
    """The batch's producer or a regulator recalls it, once, following its production."""

    @pytest.mark.parametrize("who", ["producer", "regulator"])
    def test_the_producer_or_a_regulator_recalls(self, world: World, ham: Ham, who: str) -> None:
        signer = ham.producer if who == "producer" else ham.regulator
        event = world.append(
            recall_payload(signer.key, ham.batch, ham.production, reason="safety", level=1), signer.key
        ).event_id
        assert view(world, "batches", ham.batch)["recall"] == event

    @pytest.mark.parametrize(
        "roles", [("producer",), ("merchant",), ("lab",)], ids=["another-producer", "merchant", "lab"]
    )
    def test_others_may_not_recall(self, world: World, ham: Ham, roles: tuple[str, ...]) -> None:
        other = world.register("另一家公司", *roles, licences=("food_production",), prefixes=("690555",))
        with world.rejected(NotAuthorized):
            world.append(recall_payload(other.key, ham.batch, ham.production, reason="quality", level=2), other.key)

    def test_a_batch_is_recalled_once(self, world: World, ham: Ham) -> None:
        world.append(
            recall_payload(ham.producer.key, ham.batch, ham.production, reason="safety", level=1), ham.producer.key
        )
        second = recall_payload(ham.regulator.key, ham.batch, ham.production, reason="regulatory", level=2)
        with world.rejected(BatchRecalled):
            world.append(second, ham.regulator.key)

    def test_a_recall_follows_the_production(self, world: World, ham: Ham) -> None:
        payload = recall_payload(
            ham.regulator.key, ham.batch, registration_of(world, ham.producer), reason="safety", level=1
        )
        with world.rejected(WrongParents):
            world.append(payload, ham.regulator.key)

    def test_an_unproduced_batch_cannot_be_recalled(self, world: World, ham: Ham) -> None:
        batch = batch_subject(gtin(PREFIX, 9), "NONE").path
        with world.rejected(UnknownBatch):
            world.append(
                recall_payload(ham.regulator.key, batch, ham.production, reason="safety", level=1), ham.regulator.key
            )


# ---- shipment: dispatch ------------------------------------------------------------------------------------


class TestDispatch:
    """A producer or merchant sends what it holds to an actor or a consignee key, following the batches' productions."""

    def test_a_dispatch_moves_the_quantity_in_transit(self, world: World, ham: Ham) -> None:
        world.dispatch(ham.producer, sscc(1), [(ham.batch, 30)], to=ham.merchant)
        row = view(world, "batches", ham.batch)
        assert row["holdings"] == {ham.producer.id: 70}
        assert row["in_transit"] == 30
        assert view(world, "parcels", sscc(1))["custodian"] == ham.producer.id
        world.conserved(ham.batch)

    def test_a_parcel_is_dispatched_once(self, world: World, ham: Ham) -> None:
        world.dispatch(ham.producer, sscc(1), [(ham.batch, 1)], to=ham.merchant)
        with world.rejected(ParcelExists):
            world.dispatch(ham.producer, sscc(1), [(ham.batch, 2)], to=ham.merchant)

    @pytest.mark.parametrize("sender", ["producer", "merchant"])
    def test_a_sender_ships_only_what_it_holds(self, world: World, ham: Ham, sender: str) -> None:
        deliver_to_merchant(world, ham, 1, quantity=10)
        party, quantity = (ham.producer, 91) if sender == "producer" else (ham.merchant, 11)
        with world.rejected(InsufficientQuantity):
            world.dispatch(party, sscc(2), [(ham.batch, quantity)], consignee=SigningKey.generate())
        world.dispatch(party, sscc(2), [(ham.batch, quantity - 1)], consignee=SigningKey.generate())

    def test_a_recalled_batch_ships_only_back_to_its_producer(self, world: World, ham: Ham) -> None:
        deliver_to_merchant(world, ham, 1, quantity=10)
        world.append(
            recall_payload(ham.regulator.key, ham.batch, ham.production, reason="safety", level=1), ham.regulator.key
        )
        other = world.register("另一商户", "merchant", licences=("food_business",))
        with world.rejected(BatchRecalled):
            world.dispatch(ham.merchant, sscc(2), [(ham.batch, 5)], to=other)
        with world.rejected(BatchRecalled):
            world.dispatch(ham.merchant, sscc(2), [(ham.batch, 5)], consignee=SigningKey.generate())
        with world.rejected(BatchRecalled):
            world.dispatch(ham.producer, sscc(2), [(ham.batch, 5)], to=ham.merchant)
        world.dispatch(ham.merchant, sscc(2), [(ham.batch, 10)], to=ham.producer)
        world.handoff(ham.courier, sscc(2))
        world.handoff(ham.producer, sscc(2))
        assert view(world, "batches", ham.batch)["holdings"] == {ham.producer.id: 100}

    @pytest.mark.parametrize("parents", ["none", "registration", "production and another"])
    def test_a_dispatch_follows_exactly_the_batches_productions(self, world: World, ham: Ham, parents: str) -> None:
        chosen = {
            "none": (),
            "registration": (registration_of(world, ham.producer),),
            "production and another": (ham.production, second_batch(world, ham)[1]),
        }[parents]
        payload = dispatch_payload(
            ham.producer.key, sscc(1), [Content(ham.batch, 1)], chosen, location=PLACE, to=ham.merchant.id
        )
        with world.rejected(WrongParents):
            world.append(payload, ham.producer.key)

    def test_a_dispatch_to_an_unregistered_actor_is_refused(self, world: World, ham: Ham) -> None:
        payload = dispatch_payload(
            ham.producer.key, sscc(1), [Content(ham.batch, 1)], [ham.production], location=PLACE, to=UNREGISTERED
        )
        with world.rejected(UnknownActor):
            world.append(payload, ham.producer.key)

    def test_an_unproduced_batch_cannot_be_shipped(self, world: World, ham: Ham) -> None:
        batch = batch_subject(gtin(PREFIX, 9), "NONE").path
        payload = dispatch_payload(
            ham.producer.key, sscc(1), [Content(batch, 1)], [ham.production], location=PLACE, to=ham.merchant.id
        )
        with world.rejected(UnknownBatch):
            world.append(payload, ham.producer.key)

    def test_a_black_listed_sender_cannot_ship(self, world: World, ham: Ham) -> None:
        sanction(world, ham, ham.producer.id)
        with world.rejected(BlackListed):
            world.dispatch(ham.producer, sscc(1), [(ham.batch, 1)], to=ham.merchant)

    def test_a_courier_cannot_dispatch(self, world: World, ham: Ham) -> None:
        payload = dispatch_payload(
            ham.courier.key, sscc(1), [Content(ham.batch, 1)], [ham.production], location=PLACE, to=ham.merchant.id
        )
        with world.rejected(NotAuthorized):
            world.append(payload, ham.courier.key)


# ---- shipment: handoff -------------------------------------------------------------------------------------


class TestHandoff:
    """The new custodian takes the parcel from the current one, spending the custody head once."""

    def test_arrival_at_the_destination_credits_it(self, world: World, ham: Ham) -> None:
        deliver_to_merchant(world, ham, 1, quantity=10)
        row = view(world, "batches", ham.batch)
        assert row["holdings"] == {ham.producer.id: 90, ham.merchant.id: 10}
        assert row["in_transit"] == 0
        parcel = view(world, "parcels", sscc(1))
        assert (parcel["status"], parcel["custodian"]) == ("delivered", ham.merchant.id)
        world.conserved(ham.batch)

    def test_a_handoff_co_signed_by_the_giver_is_accepted(self, world: World, ham: Ham) -> None:
        world.dispatch(ham.producer, sscc(1), [(ham.batch, 1)], to=ham.merchant)
        event = world.append(world.handoff_payload(ham.courier, sscc(1)), ham.courier.key, ham.producer.key).event_id
        assert view(world, "parcels", sscc(1))["head"] == event

    def test_an_unknown_parcel_cannot_be_handed_off(self, world: World, ham: Ham) -> None:
        payload = handoff_payload(ham.courier.key, sscc(9), ham.production, from_actor=ham.producer.id, location=PLACE)
        with world.rejected(UnknownParcel):
            world.append(payload, ham.courier.key)

    def test_a_spent_custody_head_is_a_fork(self, world: World, ham: Ham) -> None:
        world.dispatch(ham.producer, sscc(1), [(ham.batch, 1)], to=ham.merchant)
        other = world.register("另一快递", "courier")
        stale = world.handoff_payload(other, sscc(1))
        world.handoff(ham.courier, sscc(1))
        with world.rejected(CustodyFork):
            world.append(stale, other.key)

    def test_a_handoff_follows_the_custody_head(self, world: World, ham: Ham) -> None:
        world.dispatch(ham.producer, sscc(1), [(ham.batch, 1)], to=ham.merchant)
        payload = handoff_payload(ham.courier.key, sscc(1), ham.production, from_actor=ham.producer.id, location=PLACE)
        with world.rejected(WrongParents):
            world.append(payload, ham.courier.key)

    @pytest.mark.parametrize("giver", ["not the custodian", "the receiver itself"])
    def test_a_handoff_is_from_the_current_custodian(self, world: World, ham: Ham, giver: str) -> None:
        world.dispatch(ham.producer, sscc(1), [(ham.batch, 1)], to=ham.merchant)
        world.handoff(ham.courier, sscc(1))
        head = str(view(world, "parcels", sscc(1))["head"])
        taker = world.register("另一快递", "courier") if giver == "not the custodian" else ham.courier
        from_actor = ham.producer.id if giver == "not the custodian" else ham.courier.id
        payload = handoff_payload(taker.key, sscc(1), head, from_actor=from_actor, location=PLACE)
        with world.rejected(WrongCustodian):
            world.append(payload, taker.key)

    def test_only_a_courier_or_the_destination_takes_a_parcel(self, world: World, ham: Ham) -> None:
        world.dispatch(ham.producer, sscc(1), [(ham.batch, 1)], to=ham.merchant)
        other = world.register("另一商户", "merchant", licences=("food_business",))
        with world.rejected(NotAuthorized):
            world.handoff(other, sscc(1))
        with world.rejected(NotAuthorized):
            world.handoff(ham.regulator, sscc(1))

    def test_a_second_signature_must_be_the_givers(self, world: World, ham: Ham) -> None:
        world.dispatch(ham.producer, sscc(1), [(ham.batch, 1)], to=ham.merchant)
        with world.rejected(NotAuthorized):
            world.append(world.handoff_payload(ham.courier, sscc(1)), ham.courier.key, ham.merchant.key)

    @pytest.mark.parametrize("destination", ["actor", "consignee"])
    def test_no_handoff_after_delivery(self, world: World, ham: Ham, destination: str) -> None:
        if destination == "actor":
            deliver_to_merchant(world, ham, 1)
        else:
            deliver(world, ham, 1)
        other = world.register("另一快递", "courier")
        with world.rejected(AlreadySigned):
            world.handoff(other, sscc(1))

    def test_a_black_listed_courier_cannot_take_a_parcel(self, world: World, ham: Ham) -> None:
        world.dispatch(ham.producer, sscc(1), [(ham.batch, 1)], to=ham.merchant)
        sanction(world, ham, ham.courier.id)
        with world.rejected(BlackListed):
            world.handoff(ham.courier, sscc(1))


# ---- signature ---------------------------------------------------------------------------------------------


class TestSignature:
    """The consignee key declared at dispatch signs for the parcel once: intact, damaged or refused."""

    def test_a_damaged_parcel_counts_as_delivered(self, world: World, ham: Ham) -> None:
        consumer, parcel, receipt = deliver(world, ham, 1, [(ham.batch, 3)], condition="damaged")
        row = view(world, "batches", ham.batch)
        assert (row["delivered"], row["in_transit"]) == (3, 0)
        assert view(world, "receipts", receipt)["consignee"] == consumer.kid
        assert view(world, "parcels", parcel)["status"] == "signed"
        world.conserved(ham.batch)

    def test_a_refused_parcel_stays_in_transit_and_returns_to_its_sender(self, world: World, ham: Ham) -> None:
        consumer, parcel, refusal = deliver(world, ham, 1, [(ham.batch, 3)], condition="refused")
        assert world.ledger.view("receipts", refusal) is None
        row = view(world, "batches", ham.batch)
        assert (row["delivered"], row["in_transit"], row["holdings"]) == (0, 3, {ham.producer.id: 97})
        with world.rejected(ReceiptRequired):
            world.append(review_payload(consumer, ham.batch, refusal, rating=1), consumer)
        world.handoff(ham.producer, parcel, "宣威仓库")
        row = view(world, "batches", ham.batch)
        assert (row["delivered"], row["in_transit"], row["holdings"]) == (0, 0, {ham.producer.id: 100})
        assert view(world, "parcels", parcel)["status"] == "returned"
        world.conserved(ham.batch)

    def test_another_key_cannot_sign_for_the_parcel(self, world: World, ham: Ham) -> None:
        world.dispatch(ham.producer, sscc(1), [(ham.batch, 1)], consignee=SigningKey.generate())
        other = SigningKey.generate()
        world.dispatch(ham.producer, sscc(2), [(ham.batch, 1)], consignee=other)  # so the ledger knows this key
        head = str(view(world, "parcels", sscc(1))["head"])
        with world.rejected(NotConsignee):
            world.append(signature_payload(other, sscc(1), head), other)

    def test_a_parcel_addressed_to_an_actor_has_no_consignee(self, world: World, ham: Ham) -> None:
        world.dispatch(ham.producer, sscc(1), [(ham.batch, 1)], to=ham.merchant)
        head = str(view(world, "parcels", sscc(1))["head"])
        with world.rejected(NotConsignee):
            world.append(signature_payload(ham.merchant.key, sscc(1), head), ham.merchant.key)

    def test_a_parcel_is_signed_for_once(self, world: World, ham: Ham) -> None:
        consumer, parcel, _ = deliver(world, ham, 1)
        head = str(view(world, "parcels", parcel)["head"])
        with world.rejected(AlreadySigned):
            world.append(signature_payload(consumer, parcel, head, condition="damaged"), consumer)

    def test_signing_with_a_spent_custody_head_is_a_fork(self, world: World, ham: Ham) -> None:
        consumer = SigningKey.generate()
        dispatched = world.dispatch(ham.producer, sscc(1), [(ham.batch, 1)], consignee=consumer)
        world.handoff(ham.courier, sscc(1))
        with world.rejected(CustodyFork):
            world.append(signature_payload(consumer, sscc(1), dispatched), consumer)

    def test_a_signature_follows_the_custody_head(self, world: World, ham: Ham) -> None:
        consumer = SigningKey.generate()
        world.dispatch(ham.producer, sscc(1), [(ham.batch, 1)], consignee=consumer)
        with world.rejected(WrongParents):
            world.append(signature_payload(consumer, sscc(1), ham.production), consumer)

    def test_an_unknown_parcel_cannot_be_signed_for(self, world: World, ham: Ham) -> None:
        consumer = SigningKey.generate()
        world.dispatch(ham.producer, sscc(1), [(ham.batch, 1)], consignee=consumer)
        with world.rejected(UnknownParcel):
            world.append(signature_payload(consumer, sscc(2), ham.production), consumer)


class TestOneCodeOneSale:
    """A batch of 100 issued serials 0001 to 0100 (as its labels print them); a consumer's signature sells an item
    once; a refused parcel's item may be sold again (issue 10, item 6)."""

    @staticmethod
    def sell(world: World, ham: Ham, number: int, serial: str, condition: str = "intact") -> tuple[SigningKey, str]:
        consumer = SigningKey.generate()
        payload = dispatch_payload(
            ham.producer.key, sscc(number), [Content(ham.batch, 1, (serial,))], [ham.production], location=PLACE,
            consignee_key=consumer.public_key,
        )  # fmt: skip
        world.append(payload, ham.producer.key)
        world.handoff(ham.courier, sscc(number))
        return consumer, world.sign_for(consumer, sscc(number), condition)

    def test_a_serial_signed_for_is_not_sold_again(self, world: World, ham: Ham) -> None:
        _, receipt = self.sell(world, ham, 1, "0001")
        payload = dispatch_payload(
            ham.producer.key, sscc(2), [Content(ham.batch, 1, ("0001",))], [ham.production], location=PLACE,
            consignee_key=SigningKey.generate().public_key,
        )  # fmt: skip
        with world.rejected(SerialAlreadySold) as refused:
            world.append(payload, ham.producer.key)
        assert refused.value.status == 409
        assert receipt in refused.value.detail
        assert view(world, "items", item_subject(gtin(PREFIX, 1), LOT, "0001").path)["receipt"] == receipt

    @pytest.mark.parametrize("serial", ["9999", "ABC", "0101", "1"])
    def test_a_serial_the_batch_never_issued_is_refused(self, world: World, ham: Ham, serial: str) -> None:
        payload = dispatch_payload(
            ham.producer.key, sscc(1), [Content(ham.batch, 1, (serial,))], [ham.production], location=PLACE,
            consignee_key=SigningKey.generate().public_key,
        )  # fmt: skip
        with world.rejected(SerialNotIssued) as refused:
            world.append(payload, ham.producer.key)
        assert refused.value.status == 422
        assert "0001 to 0100" in refused.value.detail

    def test_a_refused_and_returned_item_is_sold_again(self, world: World, ham: Ham) -> None:
        self.sell(world, ham, 1, "0042", "refused")
        world.handoff(ham.producer, sscc(1), "宣威市 发货仓")
        _, receipt = self.sell(world, ham, 2, "0042")
        assert view(world, "items", item_subject(gtin(PREFIX, 1), LOT, "0042").path)["receipt"] == receipt
        world.conserved(ham.batch)


# ---- review ------------------------------------------------------------------------------------------------


class TestReview:
    """The consignee reviews goods its receipt covers: one review and one follow-up per receipt."""

    def test_an_item_is_reviewed_through_its_receipt(self, world: World, ham: Ham) -> None:
        consumer = SigningKey.generate()
        serials = ("0001", "0002")
        payload = dispatch_payload(
            ham.producer.key, sscc(1), [Content(ham.batch, 2, serials)], [ham.production], location=PLACE,
            consignee_key=consumer.public_key,
        )  # fmt: skip
        world.append(payload, ham.producer.key)
        world.handoff(ham.courier, sscc(1))
        receipt = world.sign_for(consumer, sscc(1))
        item = item_subject(gtin(PREFIX, 1), LOT, "0002").path
        assert view(world, "items", item) == {"batch": ham.batch, "parcels": [sscc(1)], "receipt": receipt}
        first = world.append(review_payload(consumer, item, receipt, rating=4), consumer).event_id
        world.append(review_payload(consumer, item, first, rating=2), consumer)
        assert view(world, "batches", ham.batch)["reviews"] == {"count": 2, "sum": 6}  # a follow-up counts (issue 11)
        assert view(world, "items", item)["reviews"] == {"count": 2, "sum": 6}  # the item's own rating
        assert view(world, "reviews", first) == {"receipt": receipt, "subject": item}

    @pytest.mark.parametrize("case", ["no receipt", "another batch", "an item not in the parcel"])
    def test_a_review_needs_a_receipt_covering_its_subject(self, world: World, ham: Ham, case: str) -> None:
        consumer, _, receipt = deliver(world, ham, 1)
        if case == "no receipt":
            subject, parent = ham.batch, ham.production
        elif case == "another batch":
            subject, parent = second_batch(world, ham)[0], receipt
        else:
            subject, parent = item_subject(gtin(PREFIX, 1), LOT, "0099").path, receipt
        with world.rejected(ReceiptRequired):
            world.append(review_payload(consumer, subject, parent, rating=1), consumer)

    def test_only_the_consignee_reviews_with_its_receipt(self, world: World, ham: Ham) -> None:
        _, _, receipt = deliver(world, ham, 1)
        other, _, _ = deliver(world, ham, 2)
        with world.rejected(NotConsignee):
            world.append(review_payload(other, ham.batch, receipt, rating=1), other)

    def test_one_review_and_one_follow_up_per_receipt(self, world: World, ham: Ham) -> None:
        consumer, _, receipt = deliver(world, ham, 1)
        first = world.append(review_payload(consumer, ham.batch, receipt, rating=5), consumer).event_id
        with world.rejected(ReviewLimit):
            world.append(review_payload(consumer, ham.batch, receipt, rating=3), consumer)
        follow_up = world.append(review_payload(consumer, ham.batch, first, rating=4), consumer).event_id
        with world.rejected(ReviewLimit):
            world.append(review_payload(consumer, ham.batch, follow_up, rating=1), consumer)
        with world.rejected(ReviewLimit):
            world.append(review_payload(consumer, ham.batch, first, rating=2), consumer)

    def test_a_follow_up_reviews_the_same_subject(self, world: World, ham: Ham) -> None:
        other_batch, _ = second_batch(world, ham)
        consumer, _, receipt = deliver(world, ham, 1, [(ham.batch, 1), (other_batch, 1)])
        first = world.append(review_payload(consumer, ham.batch, receipt, rating=5), consumer).event_id
        with world.rejected(WrongParents):
            world.append(review_payload(consumer, other_batch, first, rating=1), consumer)


# ---- complaint ---------------------------------------------------------------------------------------------


class TestComplaint:
    """A consignee with a covering receipt, or any registered actor, files a complaint."""

    def test_a_regulator_files_a_12315_complaint_without_parent(self, world: World, ham: Ham) -> None:
        payload = complaint_payload(ham.regulator.key, ham.batch, category="quality", channel="12315")
        event = world.append(payload, ham.regulator.key).event_id
        row = view(world, "complaints", event)
        assert (row["subject"], row["status"], row["by"]) == (ham.batch, "open", ham.regulator.key.kid)

    @pytest.mark.parametrize("subject", ["sender", "parcel", "batch"])
    def test_a_consumer_complains_about_what_its_receipt_covers(self, world: World, ham: Ham, subject: str) -> None:
        consumer, parcel, receipt = deliver(world, ham, 1)
        path = {"sender": ham.producer.subject, "parcel": parcel, "batch": ham.batch}[subject]
        event = world.append(
            complaint_payload(consumer, path, category="service_breach", parents=[receipt]), consumer
        ).event_id
        assert view(world, "complaints", event)["by"] == consumer.kid

    @pytest.mark.parametrize("parent", ["none", "not a receipt", "a refusal"])
    def test_a_consumer_key_without_a_receipt_is_unknown(self, world: World, ham: Ham, parent: str) -> None:
        consumer = SigningKey.generate()
        world.dispatch(ham.producer, sscc(1), [(ham.batch, 1)], consignee=consumer)  # the ledger knows the key
        parents: list[str] = []
        if parent == "not a receipt":
            parents = [ham.production]
        elif parent == "a refusal":
            parents = [world.sign_for(consumer, sscc(1), "refused")]
        with world.rejected(UnknownKey):
            world.append(complaint_payload(consumer, ham.batch, category="quality", parents=parents), consumer)

    def test_only_the_consignee_complains_with_its_receipt(self, world: World, ham: Ham) -> None:
        _, _, receipt = deliver(world, ham, 1)
        other, _, _ = deliver(world, ham, 2)
        with world.rejected(NotConsignee):
            world.append(complaint_payload(other, ham.batch, category="quality", parents=[receipt]), other)

    @pytest.mark.parametrize("subject", ["another batch", "another actor", "another parcel"])
    def test_a_consumer_complaint_needs_a_receipt_covering_its_subject(
        self, world: World, ham: Ham, subject: str
    ) -> None:
        consumer, _, receipt = deliver(world, ham, 1)
        path = {
            "another batch": lambda: second_batch(world, ham)[0],
            "another actor": lambda: ham.merchant.subject,
            "another parcel": lambda: deliver(world, ham, 2)[1],
        }[subject]()
        with world.rejected(ReceiptRequired):
            world.append(complaint_payload(consumer, path, category="quality", parents=[receipt]), consumer)

    def test_an_actors_complaint_cites_a_receipt_or_nothing(self, world: World, ham: Ham) -> None:
        payload = complaint_payload(ham.regulator.key, ham.batch, category="quality", parents=[ham.production])
        with world.rejected(WrongParents):
            world.append(payload, ham.regulator.key)


# ---- complaint.resolution ----------------------------------------------------------------------------------


def file_complaint(world: World, ham: Ham, subject: str) -> str:
    payload = complaint_payload(ham.regulator.key, subject, category="quality", channel="12315")
    return world.append(payload, ham.regulator.key).event_id


class TestResolution:
    """A regulator, or the party complained about, resolves an open complaint once."""

    @pytest.mark.parametrize("about", ["batch", "item", "parcel", "actor", "regulator resolves"])
    def test_the_party_complained_about_resolves(self, world: World, ham: Ham, about: str) -> None:
        world.dispatch(ham.producer, sscc(1), [(ham.batch, 1)], to=ham.merchant)
        subject, resolver = {
            "batch": (ham.batch, ham.producer),
            "item": (item_subject(gtin(PREFIX, 1), LOT, "0001").path, ham.producer),
            "parcel": (sscc(1), ham.producer),
            "actor": (ham.merchant.subject, ham.merchant),
            "regulator resolves": (ham.merchant.subject, ham.regulator),
        }[about]
        complaint = file_complaint(world, ham, subject)
        payload = resolution_payload(
            resolver.key, subject, complaint, outcome="compensated", reason="mediation_agreement", compensation=5000
        )
        event = world.append(payload, resolver.key).event_id
        row = view(world, "complaints", complaint)
        assert (row["status"], row["resolution"], row["outcome"]) == ("resolved", event, "compensated")

    def test_the_parent_must_be_a_complaint(self, world: World, ham: Ham) -> None:
        payload = resolution_payload(
            ham.producer.key, ham.batch, ham.production, outcome="rejected", reason="no_violation"
        )
        with world.rejected(UnknownComplaint):
            world.append(payload, ham.producer.key)

    def test_a_resolution_is_about_the_complaints_subject(self, world: World, ham: Ham) -> None:
        complaint = file_complaint(world, ham, ham.batch)
        payload = resolution_payload(
            ham.producer.key, ham.producer.subject, complaint, outcome="rejected", reason="no_violation"
        )
        with world.rejected(WrongParents):
            world.append(payload, ham.producer.key)

    @pytest.mark.parametrize("about", ["batch", "actor"])
    def test_a_third_party_cannot_resolve(self, world: World, ham: Ham, about: str) -> None:
        subject = ham.batch if about == "batch" else ham.producer.subject
        complaint = file_complaint(world, ham, subject)
        payload = resolution_payload(ham.merchant.key, subject, complaint, outcome="rejected", reason="no_violation")
        with world.rejected(NotAuthorized):
            world.append(payload, ham.merchant.key)

    def test_a_complaint_is_resolved_once(self, world: World, ham: Ham) -> None:
        complaint = file_complaint(world, ham, ham.batch)
        world.append(
            resolution_payload(ham.producer.key, ham.batch, complaint, outcome="rejected", reason="no_violation"),
            ham.producer.key,
        )
        again = resolution_payload(ham.regulator.key, ham.batch, complaint, outcome="upheld", reason="violation_found")
        with world.rejected(ComplaintClosed):
            world.append(again, ham.regulator.key)


# ---- sanction ----------------------------------------------------------------------------------------------


class TestSanction:
    """A regulator black- or red-lists a registered actor, or lifts an active sanction (its parent)."""

    @pytest.mark.parametrize("role", ["merchant", "registrar"])
    def test_only_a_regulator_sanctions(self, world: World, ham: Ham, role: str) -> None:
        signer = ham.merchant.key if role == "merchant" else world.registrar
        payload = sanction_payload(signer, ham.producer.id, list_="black", reason="伪造检验报告")
        with world.rejected(NotAuthorized):
            world.append(payload, signer)

    def test_an_unregistered_actor_cannot_be_sanctioned(self, world: World, ham: Ham) -> None:
        payload = sanction_payload(ham.regulator.key, UNREGISTERED, list_="black", reason="伪造检验报告")
        with world.rejected(UnknownActor):
            world.append(payload, ham.regulator.key)

    @pytest.mark.parametrize(
        "case", ["lifted twice", "other list", "not a sanction", "another actor's sanction", "new with a parent"]
    )
    def test_only_an_active_sanction_is_lifted(self, world: World, ham: Ham, case: str) -> None:
        black = sanction(world, ham, ham.producer.id)
        target, list_, lifts = ham.producer.id, "black", black
        if case == "lifted twice":
            sanction(world, ham, ham.producer.id, lifts=black)
        elif case == "other list":
            list_ = "red"
        elif case == "not a sanction":
            lifts = ham.production
        elif case == "another actor's sanction":
            target = ham.merchant.id
        payload = sanction_payload(ham.regulator.key, target, list_=list_, reason="再次解除", lifts=lifts)
        if case == "new with a parent":  # a new sanction (no lift) names no parent
            new = sanction_payload(ham.regulator.key, target, list_="red", reason="再次违规")
            payload = dataclasses.replace(new, parents=(black,))
        with world.rejected(WrongParents):
            world.append(payload, ham.regulator.key)

    def test_lifting_a_black_list_sanction_lets_the_actor_ship_again(self, world: World, ham: Ham) -> None:
        black = sanction(world, ham, ham.producer.id)
        with world.rejected(BlackListed):
            world.dispatch(ham.producer, sscc(1), [(ham.batch, 1)], to=ham.merchant)
        sanction(world, ham, ham.producer.id, lifts=black)
        assert view(world, "sanctions", ham.producer.id) == {"active": []}
        world.dispatch(ham.producer, sscc(1), [(ham.batch, 1)], to=ham.merchant)

    def test_a_red_list_sanction_does_not_block(self, world: World, ham: Ham) -> None:
        sanction(world, ham, ham.producer.id, "red")
        world.dispatch(ham.producer, sscc(1), [(ham.batch, 1)], to=ham.merchant)
        world.append(produce_payload(ham.producer), ham.producer.key)

    @pytest.mark.parametrize(("until", "blocks"), [(PAST, False), (VALID_UNTIL, True)])
    def test_a_black_list_sanction_blocks_until_it_ends(self, world: World, ham: Ham, until: str, blocks: bool) -> None:
        sanction(world, ham, ham.producer.id, until=until)
        if blocks:
            with world.rejected(BlackListed):
                world.dispatch(ham.producer, sscc(1), [(ham.batch, 1)], to=ham.merchant)
        else:
            world.dispatch(ham.producer, sscc(1), [(ham.batch, 1)], to=ham.merchant)


# ---- clock -------------------------------------------------------------------------------------------------


class TestClock:
    """A signer's claimed time is at most 5 minutes after the log time and at most 7 days before it."""

    @pytest.mark.parametrize(
        "offset", [timedelta(minutes=10), timedelta(days=-8)], ids=["10-minutes-ahead", "8-days-behind"]
    )
    def test_a_claimed_time_far_from_the_log_time_is_refused(self, world: World, ham: Ham, offset: timedelta) -> None:
        payload = produce_payload(ham.producer, time=datetime.now(UTC) + offset)
        with world.rejected(InvalidPayload):
            world.append(payload, ham.producer.key)

    @pytest.mark.parametrize(
        "offset", [timedelta(minutes=2), timedelta(days=-6)], ids=["2-minutes-ahead", "6-days-behind"]
    )
    def test_a_claimed_time_near_the_log_time_is_accepted(self, world: World, ham: Ham, offset: timedelta) -> None:
        world.append(produce_payload(ham.producer, time=datetime.now(UTC) + offset), ham.producer.key)
