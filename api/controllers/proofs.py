"""Merkle proofs on demand: ``GET /v1/proofs/inclusion`` and ``GET /v1/proofs/consistency`` (RFC 9162 §2.1)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from api.problems import problem_responses
from api.schemas import ConsistencyProofResponse, InclusionProofResponse
from ledger.store.ledger import Ledger
from signer.encoding import b64


class ProofsController(Controller):
    path = "/v1/proofs"
    tags = ("proofs",)

    @get(
        "/inclusion",
        sync_to_thread=True,
        summary="Inclusion proof of entry `index` in the tree of `size` entries",
        responses=problem_responses(400, 404, 429),
    )
    def inclusion(
        self,
        index: Annotated[int, QueryParameter(ge=0, description="leaf index")],
        size: Annotated[int, QueryParameter(ge=1, description="tree size, at most the latest checkpoint's")],
        ledger: NamedDependency[Ledger],
    ) -> InclusionProofResponse:
        proof = ledger.inclusion_proof(index, size)
        leaf = ledger.entry(index).leaf_hash
        return InclusionProofResponse(index, size, b64(leaf), [b64(h) for h in proof])

    @get(
        "/consistency",
        sync_to_thread=True,
        summary="Consistency proof from tree size `old` to tree size `new`",
        responses=problem_responses(400, 404, 429),
    )
    def consistency(
        self,
        old: Annotated[int, QueryParameter(ge=1, description="the earlier tree size")],
        new: Annotated[int, QueryParameter(ge=1, description="the later tree size")],
        ledger: NamedDependency[Ledger],
    ) -> ConsistencyProofResponse:
        return ConsistencyProofResponse(old, new, [b64(h) for h in ledger.consistency_proof(old, new)])
