"""The audit's rebuilt tree keeps only what proofs between checkpoints need, yet proves exactly what the full
reference tree proves."""

from __future__ import annotations

import hashlib

import pytest

from ledger.audit.tree import TreeRebuild
from ledger.log.merkle import MerkleTree, verify_consistency


def leaves(count: int) -> list[bytes]:
    return [hashlib.sha256(index.to_bytes(4, "big")).digest() for index in range(count)]


@pytest.mark.parametrize("new_size", range(2, 40))
def test_proofs_from_each_mark_match_the_reference_tree(new_size: int) -> None:
    reference = MerkleTree(leaves(new_size))
    for old_size in range(1, new_size):
        tree = TreeRebuild()
        for leaf in leaves(new_size):
            completed = tree.append(leaf)
            assert all(reference.nodes[node] == value for node, value in completed)
            if tree.size == old_size:
                tree.set_mark()
        assert tree.root() == reference.root()
        proof = tree.proof_from_mark()
        assert proof == reference.consistency_proof(old_size, new_size)
        verify_consistency(old_size, new_size, reference.root(old_size), reference.root(), proof)


def test_marks_follow_one_another_with_bounded_memory() -> None:
    """Checkpoints every 7 entries: each proof from the previous one is the reference's, and the tree never holds
    more than the nodes completed since the last mark and the root nodes at it."""
    reference = MerkleTree(leaves(200))
    tree = TreeRebuild()
    for leaf in leaves(200):
        tree.append(leaf)
        if tree.size % 7 == 0:
            if tree.mark:
                assert tree.proof_from_mark() == reference.consistency_proof(tree.mark, tree.size)
            tree.set_mark()
            assert tree.kept <= 8  # the root nodes of a tree of under 256 leaves
