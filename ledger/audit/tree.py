"""The Merkle tree rebuilt from the entries, holding only what consistency proofs between checkpoints need.

A proof from a checkpoint of size m to one of size n uses only the root nodes of m and nodes completed between
m and n, so after each checkpoint the tree keeps its root nodes and the nodes completed since: memory grows with
the distance between checkpoints, not with the log.
"""

from __future__ import annotations

from ledger.log.merkle import Frontier, NodeId, consistency_ranges, hash_ranges, root_nodes


class TreeRebuild:
    def __init__(self) -> None:
        self._frontier = Frontier()
        self._mark = 0  # the size of the last checkpoint passed; 0 before the first
        self._mark_nodes: dict[NodeId, bytes] = {}  # root nodes of the tree at the mark
        self._window: dict[NodeId, bytes] = {}  # nodes completed since the mark (kept only once there is a mark)

    @property
    def size(self) -> int:
        return self._frontier.size

    @property
    def mark(self) -> int:
        return self._mark

    @property
    def kept(self) -> int:
        """How many node hashes the tree holds beyond its frontier: what its memory grows with."""
        return len(self._mark_nodes) + len(self._window)

    def append(self, leaf: bytes) -> list[tuple[NodeId, bytes]]:
        """Add a leaf hash; returns the nodes it completes, from ``(0, index)`` upwards."""
        completed = self._frontier.append(leaf)
        self._window.update(completed)
        if not self._mark:
            # Before the first checkpoint only the root nodes are kept. They sit at distinct levels, and the new
            # leaf merged exactly those below the level of the last node it completed.
            top = completed[-1][0][0]
            for node in [n for n in self._window if n[0] < top]:
                del self._window[node]
        return completed

    def root(self) -> bytes:
        return self._frontier.root()

    def proof_from_mark(self) -> list[bytes]:
        """RFC 9162 ``PROOF(mark, D_size)`` from the rebuilt tree (the mark must be above 0)."""
        nodes = {**self._mark_nodes, **self._window}
        return hash_ranges(consistency_ranges(self._mark, self.size), nodes)

    def set_mark(self) -> None:
        """A checkpoint of the current size was passed: proofs from now on start here."""
        nodes = {**self._mark_nodes, **self._window}
        self._mark_nodes = {node: nodes[node] for node in root_nodes(self.size)}
        self._window = {}
        self._mark = self.size
