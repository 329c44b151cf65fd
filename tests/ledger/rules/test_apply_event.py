"""The entry points every path shares (ledger.rules): authenticate, then apply_event, over an in-memory State."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings

from ledger import errors
from ledger.events import parse_envelope, sign_event
from ledger.events.builders import registration_payload
from ledger.rules import State, authenticate, introduced_keys
from signer.dsse import EnvelopeSignature
from signer.keys import SigningKey
from tests.ledger.conftest import make_uscc
from tests.ledger.rules.conftest import Cast, new_cast
from tests.ledger.rules.memory import MemoryLog, at_time
from tests.scenarios.world import sscc
from tests.strategies import clock_offsets


def test_every_decided_event_is_recorded_with_its_index(cast: Cast) -> None:
    before = cast.log.size
    event = cast.log.decide(cast.production_payload(), cast.producer.key)
    assert cast.log.row("events", event) == {
        "kind": "production", "subject": cast.production_payload().subject, "actor": cast.producer.key.kid,
        "index": before,
    }  # fmt: skip


def test_the_first_event_to_declare_a_key_is_where_verifiers_find_it(cast: Cast) -> None:
    consumer = SigningKey.generate()
    first = cast.log.decide(cast.dispatch_payload(sscc(1), consignee=consumer), cast.producer.key)
    cast.log.decide(cast.dispatch_payload(sscc(2), consignee=consumer), cast.producer.key)
    assert cast.log.row("public_keys", consumer.kid)["event"] == first


def test_the_keys_an_event_declares(cast: Cast) -> None:
    consumer, actor = SigningKey.generate(), SigningKey.generate()
    registration = registration_payload(
        cast.log.registrar.key, make_uscc(9999), "某店", ["merchant"], [actor.public_key]
    )
    declared = {
        "registration": (registration, cast.log.registrar.key, {actor.kid: actor.public_key}),
        "dispatch": (
            cast.dispatch_payload(sscc(1), consignee=consumer),
            cast.producer.key,
            {consumer.kid: consumer.public_key},
        ),
        "production": (cast.production_payload(), cast.producer.key, {}),
    }
    for name, (payload, key, keys) in declared.items():
        assert introduced_keys(parse_envelope(sign_event(payload, [key]).to_json())) == keys, name


def test_a_signature_by_a_key_no_event_declared_is_refused(cast: Cast) -> None:
    unknown = SigningKey.generate()
    cast.log.refuse(errors.UnknownKey, cast.production_payload(key=unknown), unknown)


def test_a_key_an_event_declares_authenticates_it_but_grants_nothing(cast: Cast) -> None:
    key = SigningKey.generate()
    payload = registration_payload(key, make_uscc(9999), "自封登记机关", ["registrar"], [key.public_key])
    detail = cast.log.refuse(errors.UnknownKey, payload, key)
    assert "not registered to any actor" in detail


def test_a_signature_that_does_not_verify_is_refused(cast: Cast) -> None:
    envelope = sign_event(cast.production_payload(), [cast.producer.key])
    authenticate(State(cast.log.views), parse_envelope(envelope.to_json()))
    forged = dataclasses.replace(envelope, signatures=(EnvelopeSignature(cast.producer.key.kid, bytes(64)),))
    with pytest.raises(errors.BadEnvelopeSignature, match=cast.producer.key.kid):
        authenticate(State(cast.log.views), parse_envelope(forged.to_json()))


@settings(max_examples=50, deadline=None)
@given(offset=clock_offsets())
def test_the_signers_clock_may_run_5_minutes_ahead_of_the_log_and_7_days_behind(offset: int) -> None:
    cast, now = new_cast(MemoryLog()), datetime.now(UTC).replace(microsecond=0)
    payload = at_time(cast.production_payload(), now + timedelta(seconds=offset))
    if -7 * 24 * 3600 <= offset <= 5 * 60:
        cast.log.decide(payload, cast.producer.key, at=now)
    else:
        cast.log.refuse(errors.InvalidPayload, payload, cast.producer.key, at=now)
