"""Large batches: prepared by worker processes, with keys introduced and used within the same batch."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from ledger.errors import BadEnvelopeSignature, UnknownKey
from ledger.events import sign_event
from ledger.events.builders import Licence, inspection_payload, production_payload, registration_payload
from signer.keys import SigningKey
from tests.ledger.conftest import make_uscc
from tests.scenarios.world import VALID_UNTIL, World, gtin


def _batch(world: World, count: int) -> list[dict[str, Any]]:
    """A producer's registration, then ``count`` productions signed by the key that registration introduces."""
    producer_id, key = make_uscc(7), SigningKey.generate()
    registration = registration_payload(
        world.registrar, producer_id, "宣威火腿厂", ["producer"], [key.public_key],
        licences=[Licence("food_production", "SC1", VALID_UNTIL)], gs1_prefixes=["690123"],
    )  # fmt: skip
    envelopes = [sign_event(registration, [world.registrar]).to_json()]
    for lot in range(count):
        payload = production_payload(key, gtin("690123", 1), f"LOT{lot}", product="火腿", category="food",
                                     quantity=10, unit="件", place="宣威")  # fmt: skip
        envelopes.append(sign_event(payload, [key]).to_json())
    return envelopes


def test_a_batch_can_use_a_key_it_introduces_across_worker_chunks(world: World) -> None:
    envelopes = _batch(world, 400)
    results = world.ledger.append(envelopes)
    assert [r.leaf_index for r in results] == list(range(1, 402))
    assert all(r.created and r.checkpoint_size == 402 for r in results)


@pytest.mark.parametrize("position", [0, 1, 150, 400])
def test_a_bad_signature_anywhere_in_a_large_batch_is_named(world: World, position: int) -> None:
    envelopes = _batch(world, 400)
    bad = envelopes[position]
    sig = bytearray(base64.b64decode(bad["signatures"][0]["sig"]))
    sig[0] ^= 1
    envelopes[position] = {**bad, "signatures": [{**bad["signatures"][0], "sig": base64.b64encode(sig).decode()}]}
    before = world.fixture.table_snapshot()
    with pytest.raises(BadEnvelopeSignature) as info:
        world.ledger.append(envelopes)
    assert info.value.position == position
    assert world.fixture.table_snapshot() == before


def test_a_rule_violation_late_in_a_large_batch_rejects_all_of_it(world: World) -> None:
    envelopes = _batch(world, 300)
    forger = SigningKey.generate()
    envelopes[250] = sign_event(production_payload(forger, gtin("690999", 1), "X", product="x", category="food",
                                                   quantity=1, unit="件", place="x"), [forger]).to_json()  # fmt: skip
    before = world.fixture.table_snapshot()
    with pytest.raises(UnknownKey) as info:  # the forger's key was never registered
        world.ledger.append(envelopes)
    assert info.value.position == 250
    assert world.fixture.table_snapshot() == before


def test_batches_stream_with_the_next_prepared_while_one_commits(world: World) -> None:
    envelopes = _batch(world, 599)
    batches = [envelopes[:200], envelopes[200:400], envelopes[400:]]
    sizes = [results[-1].checkpoint_size for results in world.ledger.append_batches(batches)]
    assert sizes == [201, 401, 601]


def test_a_bad_batch_in_a_stream_stops_it_after_the_batches_before(world: World) -> None:
    envelopes = _batch(world, 399)
    forger = SigningKey.generate()
    bad = sign_event(production_payload(forger, gtin("690123", 1), "X", product="x", category="food", quantity=1,
                                        unit="件", place="x"), [forger]).to_json()  # fmt: skip
    stream = world.ledger.append_batches([envelopes[:200], [*envelopes[200:300], bad], envelopes[300:]])
    assert next(stream)[-1].checkpoint_size == 201
    with pytest.raises(UnknownKey):
        next(stream)
    assert world.ledger.size() == 201


def test_an_event_logged_before_is_answered_with_its_entry_even_when_its_rules_would_pass_again(world: World) -> None:
    """An inspection can be repeated by the rules; only the entries' unique event id knows it was logged. The batch
    is then decided again, looking for logged events first: the old one is answered, the new one logged."""
    producer = world.register("宣威火腿厂", "producer", licences=("food_production",), prefixes=("690123",))
    production = world.produce(producer, gtin("690123", 1), "XW1", 10)
    batch_path = f"01/{gtin('690123', 1)}/10/XW1"
    first = sign_event(inspection_payload(producer.key, batch_path, production, result="pass", standard="GB 2730"),
                       [producer.key]).to_json()  # fmt: skip
    logged = world.ledger.append([first])[0]
    second = sign_event(inspection_payload(producer.key, batch_path, production, result="pass", standard="GB 2762"),
                        [producer.key]).to_json()  # fmt: skip
    again, new = world.ledger.append([first, second])
    assert (again.leaf_index, again.created) == (logged.leaf_index, False)
    assert (new.leaf_index, new.created) == (logged.leaf_index + 1, True)
    assert world.ledger.size() == logged.leaf_index + 2
