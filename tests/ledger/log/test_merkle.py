"""Merkle tree math against the RFC 9162 vectors, a naive transcription of RFC 9162 §2.1, and tampering."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import ConsistencyProofError, InclusionProofError, LedgerStateError, NotFound, ProofError
from ledger.log.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    Frontier,
    MerkleTree,
    NodeId,
    consistency_ranges,
    fold_subtrees,
    hash_ranges,
    inclusion_ranges,
    leaf_hash,
    node_hash,
    nodes_for,
    root_from_nodes,
    root_nodes,
    subtree_nodes,
    verify_consistency,
    verify_inclusion,
)
from tests.strategies import (
    MAX_MERKLE_LEAVES,
    merkle_consistency_cases,
    merkle_entries,
    merkle_inclusion_cases,
)
from tests.vectors import SHARED_VECTORS

VECTORS = SHARED_VECTORS / "merkle"
VECTOR_FILES = sorted(VECTORS.rglob("*.json"))

# The tree of the vectors README: its leaves, and its roots at sizes 1..8 (transparency-dev/merkle).
VECTOR_ENTRIES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
VECTOR_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]

# 300 distinct entries: the full-size tree whose every proof, for every pair of sizes, is checked.
FULL_ENTRIES = [i.to_bytes(2, "big") for i in range(MAX_MERKLE_LEAVES)]


# --- RFC 9162 §2.1, transcribed naively over the raw entries ---------------------------------------------


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def naive_mth(d: Sequence[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return _sha256(b"")
    if n == 1:
        return _sha256(b"\x00" + d[0])
    k = _k(n)
    return _sha256(b"\x01" + naive_mth(d[:k]) + naive_mth(d[k:]))


def naive_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*naive_path(m, d[:k]), naive_mth(d[k:])]
    return [*naive_path(m - k, d[k:]), naive_mth(d[:k])]


def naive_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [naive_mth(d)]
    k = _k(n)
    if m <= k:
        return [*naive_subproof(m, d[:k], b), naive_mth(d[k:])]
    return [*naive_subproof(m - k, d[k:], False), naive_mth(d[:k])]


def naive_proof(m: int, d: Sequence[bytes]) -> list[bytes]:
    return naive_subproof(m, d, True)


def tree_of(entries: Sequence[bytes]) -> MerkleTree:
    return MerkleTree(leaf_hash(entry) for entry in entries)


def flip(value: bytes, position: int, mask: int) -> bytes:
    """``value`` with one byte changed (``mask`` is non-zero)."""
    position %= len(value)
    return value[:position] + bytes([value[position] ^ mask]) + value[position + 1 :]


# --- the transparency-dev vectors, read in place -----------------------------------------------------------


def test_vectors_are_present() -> None:
    kinds = {path.relative_to(VECTORS).parts[0] for path in VECTOR_FILES}
    assert kinds == {"inclusion", "consistency"}, f"no Merkle vectors under {VECTORS}"
    assert len(VECTOR_FILES) > 150


@pytest.mark.parametrize("path", VECTOR_FILES, ids=lambda path: str(path.relative_to(VECTORS)))
def test_vector(path: Path) -> None:
    vector = json.loads(path.read_text())
    proof = [base64.b64decode(element) for element in vector["proof"] or []]

    def run() -> None:
        if "leafIdx" in vector:
            verify_inclusion(
                base64.b64decode(vector["leafHash"]),
                vector["leafIdx"],
                vector["treeSize"],
                proof,
                base64.b64decode(vector["root"]),
            )
        else:
            verify_consistency(
                vector["size1"],
                vector["size2"],
                base64.b64decode(vector["root1"]),
                base64.b64decode(vector["root2"]),
                proof,
            )

    if vector["wantErr"]:
        with pytest.raises(InclusionProofError if "leafIdx" in vector else ConsistencyProofError):
            run()
    else:
        run()


def test_vector_tree_roots() -> None:
    tree = tree_of(VECTOR_ENTRIES)
    assert tree.root().hex() == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    assert [tree.root(size).hex() for size in range(1, 9)] == VECTOR_ROOTS
    for size in range(9):
        assert tree.root(size) == naive_mth(VECTOR_ENTRIES[:size])


# --- edge cases --------------------------------------------------------------------------------------------


def test_hashing_primitives() -> None:
    assert _sha256(b"") == EMPTY_ROOT
    assert leaf_hash(b"ab") == _sha256(b"\x00ab")
    assert node_hash(b"l", b"r") == _sha256(b"\x01lr")
    assert len(EMPTY_ROOT) == HASH_SIZE


def test_empty_tree() -> None:
    assert MerkleTree().root() == EMPTY_ROOT
    assert Frontier().root() == EMPTY_ROOT
    assert root_nodes(0) == []
    assert fold_subtrees([]) == EMPTY_ROOT
    assert root_from_nodes(0, {}) == EMPTY_ROOT
    with pytest.raises(InclusionProofError, match="index 0 is not below tree size 0"):
        inclusion_ranges(0, 0)


@pytest.mark.parametrize(
    ("old_size", "new_size", "old_root", "new_root"),
    [(0, 0, EMPTY_ROOT, EMPTY_ROOT), (0, 1, EMPTY_ROOT, leaf_hash(b"")), (0, 5, EMPTY_ROOT, EMPTY_ROOT)],
)
def test_consistency_from_the_empty_tree_is_refused(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes
) -> None:
    with pytest.raises(ConsistencyProofError, match="meaningless"):
        verify_consistency(old_size, new_size, old_root, new_root, [])
    with pytest.raises(ConsistencyProofError, match="no consistency proof exists from tree size 0"):
        consistency_ranges(old_size, new_size)


def test_equal_sizes() -> None:
    tree = tree_of(VECTOR_ENTRIES)
    for size in range(1, 9):
        assert consistency_ranges(size, size) == []
        assert tree.consistency_proof(size, size) == []
        verify_consistency(size, size, tree.root(size), tree.root(size), [])
        with pytest.raises(ConsistencyProofError, match="roots differ"):
            verify_consistency(size, size, tree.root(size), flip(tree.root(size), 0, 1), [])
        with pytest.raises(ConsistencyProofError, match="proof is not empty"):
            verify_consistency(size, size, tree.root(size), tree.root(size), [tree.root(size)])


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: inclusion_ranges(5, 5), InclusionProofError, "index 5 is not below tree size 5"),
        (lambda: inclusion_ranges(-1, 5), InclusionProofError, "index -1 is not below tree size 5"),
        (lambda: consistency_ranges(6, 5), ConsistencyProofError, "old tree size 6 is above new tree size 5"),
        (lambda: consistency_ranges(-1, 5), ConsistencyProofError, "from tree size -1"),
        (lambda: tree_of(VECTOR_ENTRIES).inclusion_proof(0, 9), InclusionProofError, "size 9 is above"),
        (lambda: tree_of(VECTOR_ENTRIES).consistency_proof(1, 9), ConsistencyProofError, "size 9 is above"),
        (lambda: tree_of(VECTOR_ENTRIES).root(9), NotFound, "tree size 9"),
        (lambda: subtree_nodes(1, 3), ProofError, r"\[1, 3\)"),
        (lambda: subtree_nodes(2, 1), ProofError, r"\[2, 1\)"),
        (lambda: subtree_nodes(-1, 0), ProofError, r"\[-1, 0\)"),
        (lambda: verify_inclusion(EMPTY_ROOT, 1, 1, [], EMPTY_ROOT), InclusionProofError, "index 1"),
    ],
)
def test_impossible_arguments(call: Callable[[], object], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call()


def test_missing_nodes_are_a_state_error() -> None:
    tree = tree_of(VECTOR_ENTRIES)
    nodes = dict(tree.nodes)
    del nodes[(2, 1)], nodes[(3, 0)]
    with pytest.raises(LedgerStateError, match=r"\(3, 0\)"):
        root_from_nodes(8, nodes)
    with pytest.raises(LedgerStateError, match=r"\(2, 1\)"):
        hash_ranges(inclusion_ranges(0, 8), nodes)
    assert root_from_nodes(7, nodes) == tree.root(7)


def test_frontier_checks_its_node_count() -> None:
    with pytest.raises(LedgerStateError, match="3 frontier nodes, not 2"):
        Frontier(7, [EMPTY_ROOT, EMPTY_ROOT])
    with pytest.raises(LedgerStateError, match="0 frontier nodes, not 1"):
        Frontier(0, [EMPTY_ROOT])


# --- node decomposition ------------------------------------------------------------------------------------


@given(size=st.integers(0, 1 << 40), shift=st.integers(0, 1 << 20))
def test_subtree_nodes_tile_the_range(size: int, shift: int) -> None:
    top = 1 << (size.bit_length() - 1) if size else 1
    start = shift * top
    nodes = subtree_nodes(start, start + size)
    position = start
    for level, index in nodes:
        assert index << level == position  # contiguous, left to right
        position += 1 << level
    assert position == start + size
    assert [level for level, _ in nodes] == [bit for bit in reversed(range(64)) if size >> bit & 1]
    if start == 0:
        assert root_nodes(size) == nodes


# --- every proof verifies, tampering fails ---------------------------------------------------------------


def check_every_proof_into(tree: MerkleTree, roots: Sequence[bytes], size: int) -> None:
    """Every inclusion proof in, and every consistency proof to, the tree of ``size`` leaves verifies."""
    for index in range(size):
        proof = tree.inclusion_proof(index, size)
        verify_inclusion(tree.nodes[(0, index)], index, size, proof, roots[size])
    for old_size in range(1, size + 1):
        proof = tree.consistency_proof(old_size, size)
        verify_consistency(old_size, size, roots[old_size], roots[size], proof)


def test_every_proof_of_a_full_tree_verifies() -> None:
    tree = tree_of(FULL_ENTRIES)
    roots = [tree.root(size) for size in range(tree.size + 1)]
    for size in range(1, tree.size + 1):
        check_every_proof_into(tree, roots, size)


@settings(max_examples=25, deadline=None)
@given(entries=merkle_entries(min_size=1), data=st.data())
def test_every_proof_verifies(entries: list[bytes], data: st.DataObject) -> None:
    """Every proof into the whole tree and into a prefix of it (every pair is the full tree's test above)."""
    tree = tree_of(entries)
    roots = [tree.root(size) for size in range(tree.size + 1)]
    check_every_proof_into(tree, roots, tree.size)
    check_every_proof_into(tree, roots, data.draw(st.integers(1, tree.size), label="prefix size"))


def test_proofs_need_few_nodes() -> None:
    """O(log n) node lookups per proof, never a rebuild: at most two per level of the tree."""
    for size in range(1, MAX_MERKLE_LEAVES + 1):
        bound = 2 * size.bit_length()
        for index in range(size):
            assert len(nodes_for(inclusion_ranges(index, size))) <= bound
        for old_size in range(1, size + 1):
            assert len(nodes_for(consistency_ranges(old_size, size))) <= bound


def _tamperings(proof: list[bytes], position: int, mask: int, extra: bytes) -> list[list[bytes]]:
    """The proof with each element changed in one byte, each removed, and an element added at each place."""
    changed = [[*proof[:i], flip(proof[i], position, mask), *proof[i + 1 :]] for i in range(len(proof))]
    removed = [proof[:i] + proof[i + 1 :] for i in range(len(proof))]
    added = [[*proof[:i], new, *proof[i:]] for i in range(len(proof) + 1) for new in (extra, *proof[i : i + 1])]
    return changed + removed + added


hash_bytes = st.binary(min_size=HASH_SIZE, max_size=HASH_SIZE)


@settings(max_examples=100, deadline=None)
@given(
    case=merkle_inclusion_cases(),
    position=st.integers(0, HASH_SIZE - 1),
    mask=st.integers(1, 255),
    extra=hash_bytes,
)
def test_tampered_inclusion_fails(case: tuple[list[bytes], int, int], position: int, mask: int, extra: bytes) -> None:
    entries, index, size = case
    tree = tree_of(entries)
    leaf, root, proof = tree.nodes[(0, index)], tree.root(size), tree.inclusion_proof(index, size)
    verify_inclusion(leaf, index, size, proof, root)
    with pytest.raises(InclusionProofError):
        verify_inclusion(flip(leaf, position, mask), index, size, proof, root)
    with pytest.raises(InclusionProofError):
        verify_inclusion(leaf, index, size, proof, flip(root, position, mask))
    for tampered in _tamperings(proof, position, mask, extra):
        with pytest.raises(InclusionProofError):
            verify_inclusion(leaf, index, size, tampered, root)


@settings(max_examples=100, deadline=None)
@given(
    case=merkle_consistency_cases(),
    position=st.integers(0, HASH_SIZE - 1),
    mask=st.integers(1, 255),
    extra=hash_bytes,
)
def test_tampered_consistency_fails(case: tuple[list[bytes], int, int], position: int, mask: int, extra: bytes) -> None:
    entries, old_size, new_size = case
    tree = tree_of(entries)
    old_root, new_root = tree.root(old_size), tree.root(new_size)
    proof = tree.consistency_proof(old_size, new_size)
    verify_consistency(old_size, new_size, old_root, new_root, proof)
    with pytest.raises(ConsistencyProofError):
        verify_consistency(old_size, new_size, flip(old_root, position, mask), new_root, proof)
    with pytest.raises(ConsistencyProofError):
        verify_consistency(old_size, new_size, old_root, flip(new_root, position, mask), proof)
    for tampered in _tamperings(proof, position, mask, extra):
        with pytest.raises(ConsistencyProofError):
            verify_consistency(old_size, new_size, old_root, new_root, tampered)


# --- proofs from stored nodes equal the RFC definitions --------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(entries=merkle_entries(max_size=32))
def test_proofs_from_nodes_match_the_rfc_definition(entries: list[bytes]) -> None:
    tree = tree_of(entries)

    def from_fetched(ranges: list[tuple[int, int]]) -> list[bytes]:
        fetched: dict[NodeId, bytes] = {node: tree.nodes[node] for node in nodes_for(ranges)}
        return hash_ranges(ranges, fetched)  # only what a store would fetch for this proof

    for size in range(tree.size + 1):
        assert tree.root(size) == naive_mth(entries[:size])
        assert root_from_nodes(size, {node: tree.nodes[node] for node in root_nodes(size)}) == tree.root(size)
        for index in range(size):
            expected = naive_path(index, entries[:size])
            assert tree.inclusion_proof(index, size) == expected
            assert from_fetched(inclusion_ranges(index, size)) == expected
        for old_size in range(1, size + 1):
            expected = naive_proof(old_size, entries[:size])
            assert tree.consistency_proof(old_size, size) == expected
            assert from_fetched(consistency_ranges(old_size, size)) == expected


# --- the frontier ------------------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(entries=merkle_entries())
def test_frontier_yields_the_complete_nodes(entries: list[bytes]) -> None:
    leaves = [leaf_hash(entry) for entry in entries]
    tree = MerkleTree(leaves)
    frontier = Frontier()
    seen: dict[NodeId, bytes] = {}
    appended: list[list[tuple[NodeId, bytes]]] = []
    for index, leaf in enumerate(leaves):
        completed = frontier.append(leaf)
        assert completed[0] == ((0, index), leaf)
        assert not seen.keys() & {node for node, _ in completed}
        seen.update(completed)
        appended.append(completed)
        assert frontier.size == index + 1
        assert frontier.root() == naive_mth(entries[: index + 1])
    assert seen == tree.nodes

    splits = {*range(0, len(leaves), max(1, len(leaves) // 16)), len(leaves)}
    for size in sorted(splits):  # rebuilt from the stored root nodes, it continues identically
        rebuilt = Frontier(size, [tree.nodes[node] for node in root_nodes(size)])
        assert rebuilt.root() == tree.root(size)
        for index in range(size, len(leaves)):
            assert rebuilt.append(leaves[index]) == appended[index]
        assert rebuilt.root() == tree.root()
