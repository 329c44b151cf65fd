"""RFC 9162 §2.1 Merkle tree math, with no I/O.

The store keeps every complete subtree node, so roots and proofs are folded from O(log n) stored nodes
instead of rebuilding the tree; the verifiers follow RFC 9162 §2.1.3.2 and §2.1.4.2 step by step.

Conventions: a *leaf hash* is ``SHA-256(0x00 || entry)``; functions below that take a ``leaf`` take its leaf
hash, never the entry. A node id ``(level, index)`` names the complete subtree over the leaves
``[index * 2**level, (index + 1) * 2**level)``. A *range* ``(start, end)`` is the half-open leaf range whose
Merkle Tree Hash (MTH) is wanted.

Edge cases, decided here once:

* Size 0: the empty tree's root is ``EMPTY_ROOT`` (``SHA-256("")``). No leaf is in it, so no inclusion proof
  exists. A consistency proof *from* size 0 is meaningless (RFC 9162 §2.1.4.1 defines ``PROOF(m, D_n)`` only
  for ``0 < m``; every tree extends the empty one): generating one and verifying one both fail, even from 0
  to 0, as the transparency-dev vectors require. Callers accept the empty tree as a predecessor themselves.
* Equal sizes ``0 < m == n``: the proof is empty, and verification passes exactly when the proof is empty and
  the two roots are equal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence

from ledger.errors import ConsistencyProofError, InclusionProofError, LedgerStateError, NotFound, ProofError

HASH_SIZE = 32
EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()

NodeId = tuple[int, int]
"""``(level, index)``: the complete subtree over leaves ``[index * 2**level, (index + 1) * 2**level)``."""


def leaf_hash(entry: bytes) -> bytes:
    """``SHA-256(0x00 || entry)``: the hash of one log entry (RFC 9162 §2.1.1)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``: the hash of an interior node (RFC 9162 §2.1.1)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (``n > 1``): where RFC 9162 splits ``D_n``."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree_nodes(start: int, end: int) -> list[NodeId]:
    """The complete subtrees covering leaves ``[start, end)``, left to right and largest first.

    They are the subtrees the RFC 9162 recursion for ``MTH(D[start:end])`` bottoms out in: one per set bit of
    ``end - start``, from the highest. Precondition: ``0 <= start <= end`` and ``start`` is a multiple of the
    largest power of two not exceeding ``end - start``, which holds for every range the recursion of a whole
    tree visits (so for every range of a root or proof). An empty range has no subtrees.
    """
    size = end - start
    if start < 0 or size < 0 or (size and start % (1 << (size.bit_length() - 1))):
        raise ProofError(f"leaf range [{start}, {end}) is not a range of the RFC 9162 recursion")
    nodes: list[NodeId] = []
    for level in reversed(range(size.bit_length())):
        if size >> level & 1:
            nodes.append((level, start >> level))
            start += 1 << level
    return nodes


def fold_subtrees(hashes: Sequence[bytes]) -> bytes:
    """The MTH of a range from the hashes of its ``subtree_nodes``: ``node_hash(h0, node_hash(h1, ...))``.

    No hashes is the empty range, whose MTH is ``EMPTY_ROOT``.
    """
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def root_nodes(size: int) -> list[NodeId]:
    """The stored nodes whose fold is the root of the tree of ``size`` leaves: ``subtree_nodes(0, size)``."""
    return subtree_nodes(0, size)


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose MTHs are ``PATH(index, D_size)`` (RFC 9162 §2.1.3.1), leaf-adjacent first.

    Raises ``InclusionProofError`` unless ``0 <= index < size`` (so never for the empty tree).
    """
    if not 0 <= index < size:
        raise InclusionProofError(f"index {index} is not below tree size {size}")
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        mid = start + _split(end - start)
        if index < mid:
            ranges.append((mid, end))
            end = mid
        else:
            ranges.append((start, mid))
            start = mid
    ranges.reverse()
    return ranges


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose MTHs are ``PROOF(old_size, D_new_size)`` (RFC 9162 §2.1.4.1), in RFC order.

    Empty when the sizes are equal. Raises ``ConsistencyProofError`` unless ``0 < old_size <= new_size``.
    """
    if old_size > new_size:
        raise ConsistencyProofError(f"old tree size {old_size} is above new tree size {new_size}")
    if old_size <= 0:
        raise ConsistencyProofError(f"no consistency proof exists from tree size {old_size}")
    ranges: list[tuple[int, int]] = []
    start, end, complete = 0, new_size, True  # SUBPROOF(old_size - start, D[start:end], complete)
    while old_size != end:
        mid = start + _split(end - start)
        if old_size <= mid:
            ranges.append((mid, end))
            end = mid
        else:
            ranges.append((start, mid))
            start, complete = mid, False
    if not complete:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def nodes_for(ranges: Iterable[tuple[int, int]]) -> set[NodeId]:
    """Every stored node needed to hash the given ranges: what to fetch before ``hash_ranges``."""
    return {node for start, end in ranges for node in subtree_nodes(start, end)}


def hash_ranges(ranges: Sequence[tuple[int, int]], nodes: Mapping[NodeId, bytes]) -> list[bytes]:
    """The MTH of each range, folded from ``nodes`` (which must hold ``nodes_for(ranges)``).

    A missing node means the store does not match the tree: ``LedgerStateError``.
    """
    hashes: list[bytes] = []
    for start, end in ranges:
        ids = subtree_nodes(start, end)
        missing = [node for node in ids if node not in nodes]
        if missing:
            raise LedgerStateError(f"Merkle nodes {missing} for leaves [{start}, {end}) are missing")
        hashes.append(fold_subtrees([nodes[node] for node in ids]))
    return hashes


def root_from_nodes(size: int, nodes: Mapping[NodeId, bytes]) -> bytes:
    """The root of the tree of ``size`` leaves from its ``root_nodes``; ``EMPTY_ROOT`` for size 0."""
    return hash_ranges([(0, size)], nodes)[0]


def _check_hashes(proof: Sequence[bytes], error: type[ProofError]) -> None:
    for position, element in enumerate(proof):
        if len(element) != HASH_SIZE:
            raise error(f"proof element {position} is {len(element)} bytes, not {HASH_SIZE}")


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Check that ``leaf`` (a leaf hash) is at ``index`` in the tree of ``size`` leaves with ``root``.

    RFC 9162 §2.1.3.2, step by step; raises ``InclusionProofError`` saying which check failed.
    """
    if not 0 <= index < size:  # step 1
        raise InclusionProofError(f"index {index} is not below tree size {size}")
    if len(leaf) != HASH_SIZE:
        raise InclusionProofError(f"leaf hash is {len(leaf)} bytes, not {HASH_SIZE}")
    _check_hashes(proof, InclusionProofError)
    fn, sn = index, size - 1  # step 2
    r = leaf  # step 3
    for p in proof:  # step 4
        if sn == 0:  # 4a
            raise InclusionProofError(f"proof of {len(proof)} hashes is too long for index {index} of {size}")
        if fn & 1 or fn == sn:  # 4b
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1  # 4c
    if sn != 0:  # step 5
        raise InclusionProofError(f"proof of {len(proof)} hashes is too short for index {index} of {size}")
    if r != root:
        raise InclusionProofError(f"proof for index {index} does not lead to the root of tree size {size}")


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> None:
    """Check that the tree (``new_size``, ``new_root``) extends the tree (``old_size``, ``old_root``).

    RFC 9162 §2.1.4.2, step by step, for ``0 < old_size < new_size``; equal sizes need an empty proof and
    equal roots; size 0 always fails (see the module docstring). Raises ``ConsistencyProofError`` saying why.
    """
    if old_size > new_size:
        raise ConsistencyProofError(f"old tree size {old_size} is above new tree size {new_size}")
    if old_size <= 0:
        raise ConsistencyProofError(f"a consistency proof from tree size {old_size} is meaningless")
    if old_size == new_size:
        if proof:
            raise ConsistencyProofError(f"sizes are equal ({old_size}) but the proof is not empty")
        if old_root != new_root:
            raise ConsistencyProofError(f"sizes are equal ({old_size}) but the roots differ")
        return
    if not proof:  # step 1
        raise ConsistencyProofError(f"empty proof from tree size {old_size} to {new_size}")
    _check_hashes(proof, ConsistencyProofError)
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # step 2
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1  # step 3
    while fn & 1:  # step 4
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]  # step 5
    for c in path[1:]:  # step 6
        if sn == 0:  # 6a
            raise ConsistencyProofError(f"proof of {len(proof)} hashes is too long for {old_size} to {new_size}")
        if fn & 1 or fn == sn:  # 6b
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1  # 6c
    if sn != 0:  # step 7
        raise ConsistencyProofError(f"proof of {len(proof)} hashes is too short for {old_size} to {new_size}")
    if fr != old_root:
        raise ConsistencyProofError(f"proof does not lead to the old root of tree size {old_size}")
    if sr != new_root:
        raise ConsistencyProofError(f"proof does not lead to the new root of tree size {new_size}")


class Frontier:
    """The right edge of the tree (hashes of root_nodes(size)); appending a leaf yields the completed nodes.

    Enough to append to a tree held elsewhere: rebuild it from the stored ``root_nodes(size)`` hashes.
    """

    def __init__(self, size: int = 0, nodes: Sequence[bytes] = ()) -> None:
        """``nodes``: the hashes of ``root_nodes(size)`` in order; the wrong count is ``LedgerStateError``."""
        expected = len(root_nodes(size))
        if len(nodes) != expected:
            raise LedgerStateError(f"a tree of size {size} has {expected} frontier nodes, not {len(nodes)}")
        self.size = size
        self._hashes = list(nodes)

    def append(self, leaf: bytes) -> list[tuple[NodeId, bytes]]:
        """Add a leaf hash; returns the nodes it completes, from ``(0, index)`` upwards."""
        index = self.size
        completed = [((0, index), leaf)]
        level, current = 0, leaf
        while index >> level & 1:  # the left sibling at this level is complete: merge it
            level += 1
            current = node_hash(self._hashes.pop(), current)
            completed.append(((level, index >> level), current))
        self._hashes.append(current)
        self.size += 1
        return completed

    def root(self) -> bytes:
        """The root of the tree so far (``EMPTY_ROOT`` when empty)."""
        return fold_subtrees(self._hashes)


class MerkleTree:
    """In-memory tree over a list of leaf hashes: the reference used by audits and tests.

    It keeps every complete subtree in ``nodes`` like the store does, and answers through the same
    range functions, so what it proves is what the store-backed log proves.
    """

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self._frontier = Frontier()
        self.nodes: dict[NodeId, bytes] = {}
        for leaf in leaves:
            self.append(leaf)

    @property
    def size(self) -> int:
        return self._frontier.size

    def append(self, leaf: bytes) -> None:
        """Add a leaf hash."""
        self.nodes.update(self._frontier.append(leaf))

    def root(self, size: int | None = None) -> bytes:
        """The root at ``size`` leaves (default: all); a size beyond the tree is ``NotFound``."""
        if size is None:
            size = self.size
        if not 0 <= size <= self.size:
            raise NotFound(f"tree size {size} is not between 0 and {self.size}")
        return root_from_nodes(size, self.nodes)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """``PATH(index, D_size)``; needs ``0 <= index < size <= self.size``."""
        if size > self.size:
            raise InclusionProofError(f"tree size {size} is above the {self.size} leaves held")
        return hash_ranges(inclusion_ranges(index, size), self.nodes)

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """``PROOF(old_size, D_new_size)``; needs ``0 < old_size <= new_size <= self.size``."""
        if new_size > self.size:
            raise ConsistencyProofError(f"tree size {new_size} is above the {self.size} leaves held")
        return hash_ranges(consistency_ranges(old_size, new_size), self.nodes)
