"""``GET /v1/trace/{path}`` (issue 12): a trace over HTTP, each step with an inclusion proof that verifies against
the checkpoint it comes with; a bad subject, direction or depth is a problem document and nothing else."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from ledger.errors import InclusionProofError
from ledger.log.checkpoint import open_checkpoint
from ledger.log.merkle import leaf_hash, verify_inclusion
from ledger.trace import trace
from tests.api.conftest import Api, problem, unb64
from tests.ledger.test_trace import HAM, ITEM, PORK, PORK_GTIN, build_chain
from tests.scenarios.world import sscc

PROBLEM_MEMBERS = {"type", "title", "status", "detail", "instance"}


def _trace(api: Api, query: str) -> dict[str, Any]:
    response = api.client.get(f"/v1/trace/{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body


def _verify_proofs(api: Api, body: dict[str, Any]) -> None:
    """Every step's proof verifies against the checkpoint of the answer (signed by the log key), for the hash of
    the exact entry bytes the log serves for its event."""
    ledger = api.fixture.ledger
    checkpoint = open_checkpoint(body["checkpoint"], ledger.log_verifier, ledger.origin)
    assert body["tree_size"] == checkpoint.size == ledger.size()
    for step in body["steps"]:
        entry = api.client.get(f"/v1/events/{step['event_id']}").json()
        assert entry["index"] == step["leaf_index"]
        assert unb64(step["leaf_hash"]) == leaf_hash(unb64(entry["entry"]))
        proof = step["inclusion_proof"]
        assert proof["tree_size"] == checkpoint.size
        hashes = [unb64(h) for h in proof["proof"]]
        verify_inclusion(unb64(step["leaf_hash"]), step["leaf_index"], checkpoint.size, hashes, checkpoint.root)


def test_a_forward_trace_lists_every_step_with_a_proof_that_verifies(api: Api) -> None:
    c = build_chain(api.world)
    body = _trace(api, PORK)
    found = trace(api.fixture.ledger, PORK)
    assert (body["subject"], body["subject_kind"], body["direction"], body["depth"]) == (PORK, "batch", "forward", 5)
    listed = [
        (s["relation"], s["batch"], s["quantity"], s["parcel"], s["event_id"], s["leaf_index"]) for s in body["steps"]
    ]
    assert listed == [(s.relation, s.batch, s.quantity, s.parcel, s.event_id, s.leaf_index) for s in found.steps]
    receipts = [(s["parcel"], s["consignee"]) for s in body["steps"] if s["relation"] == "consumer_receipt"]
    assert receipts == [(sscc(3), c.buyer.kid)]
    pork, ham = body["batches"]
    assert (pork["path"], pork["held"], pork["received"]) == (
        PORK,
        {c.farm.id: 60, c.ham_maker.id: 40},
        {c.ham_maker.id: 40},
    )
    assert (ham["path"], ham["depth"], ham["in_transit"], ham["delivered"]) == (HAM, 1, 1, 1)
    assert [(p["path"], p["status"]) for p in body["parcels"]][:2] == [(sscc(1), "delivered"), (sscc(2), "delivered")]
    assert body["parcels"][0]["contents"] == [{"batch": PORK, "quantity": 40}]
    _verify_proofs(api, body)


def test_a_tampered_proof_does_not_verify(api: Api) -> None:
    build_chain(api.world)
    body = _trace(api, HAM)
    step = body["steps"][-1]
    hashes = step["inclusion_proof"]["proof"]
    first = bytearray(unb64(hashes[0]))
    first[0] ^= 1
    step["inclusion_proof"]["proof"] = [base64.b64encode(first).decode(), *hashes[1:]]
    with pytest.raises(InclusionProofError):
        _verify_proofs(api, body)


def test_backward_depth_item_and_parcel_traces(api: Api) -> None:
    c = build_chain(api.world)
    backward = _trace(api, f"{HAM}?direction=backward")
    assert [(b["path"], b["depth"]) for b in backward["batches"]] == [(HAM, 0), (PORK, 1)]
    link = next(s for s in backward["steps"] if s["relation"] == "input")
    assert (link["batch"], link["from_actor"], link["to_actor"]) == (PORK, c.farm.id, c.ham_maker.id)
    _verify_proofs(api, backward)
    shallow = _trace(api, f"{PORK}?depth=0")
    assert ([b["path"] for b in shallow["batches"]], shallow["depth"]) == ([PORK], 0)
    item = _trace(api, ITEM)
    assert item["subject_kind"] == "item"
    assert [s["relation"] for s in item["steps"]] == ["dispatched", "handed_over", "consumer_receipt"]
    parcel = _trace(api, f"{sscc(4)}?direction=forward&depth=1")
    assert [(s["relation"], s["consignee"]) for s in parcel["steps"]] == [
        ("dispatched", c.waiting.kid),
        ("handed_over", None),
    ]
    _verify_proofs(api, parcel)


@pytest.mark.parametrize(
    ("query", "status", "slug", "says"),
    [
        (f"{PORK}?direction=sideways", 400, "invalid-request", "direction"),
        (f"{PORK}?depth=-1", 400, "invalid-request", "depth"),
        (f"{PORK}?depth=33", 400, "invalid-request", "depth"),
        (f"{PORK}?depth=deep", 400, "invalid-request", "depth"),
        ("01/06901230000011/10/L1", 400, "invalid-identifier", "check digit"),
        ("01/123", 400, "invalid-identifier", "GTIN"),
        ("02/06901230000010/10/L1", 400, "invalid-identifier", "unknown form"),
        (f"{PORK}/", 400, "invalid-identifier", "empty segment"),
        (f"01/{PORK_GTIN}/10/NOPE", 404, "not-found", f"the log holds nothing about 01/{PORK_GTIN}/10/NOPE"),
        (sscc(9), 404, "not-found", f"the log holds nothing about {sscc(9)}"),
        ("actor/91110000600037341L", 404, "not-found", "is not a product or parcel subject"),
    ],
)
def test_a_bad_subject_direction_or_depth_is_a_problem_and_nothing_else(
    api: Api, query: str, status: int, slug: str, says: str
) -> None:
    build_chain(api.world)
    with api.unchanged():
        body = problem(api.client.get(f"/v1/trace/{query}"), status, slug)
    assert set(body) <= PROBLEM_MEMBERS
    assert says in body["detail"]
