"""The high-water checkpoint: the newest checkpoint a ledger home has seen signed, kept in a file beside the database.

A database can be rolled back behind the program's back (its newest entries, nodes and checkpoints deleted, or a
backup restored); appending the same envelopes again then builds a second tree of the same size with another root,
and signing it would fork the log. The file, outside the database, remembers how far the log had come: every new
checkpoint must extend it (same origin, size at least its size, and a consistency proof from it that verifies;
equal sizes need equal roots), and a ledger opened to append refuses a database whose tree does not extend it.

When the file is written, and why that order: the new checkpoint is checked against the file inside the append
transaction, under the log head row lock, before anything is committed; the file is rewritten only after the
commit, before the append returns (so before the API answers 201). Writing it before the commit would brick the
log whenever the commit then failed or the process died: the file would name a checkpoint the database never
held. Written after, a crash between the commit and the write leaves the file one checkpoint behind, and the next
open accepts the database because it extends the file, and records the database's latest checkpoint. Several
processes (PostgreSQL, ``serve --workers``) commit in the order the row lock gives them but may reach the file in
another order, so the file is replaced under an exclusive ``flock`` and only by a larger checkpoint; all of them
are consistent with each other, so the larger one extends the smaller. Each process keeps the file of the home it
uses; processes with homes of their own each guard the database with what they saw. A home without the file (one
made before it existed, or whose file was lost) records the database's latest checkpoint when it is first opened
to append: from then on a rollback is caught; witnesses catch what happened before.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ledger.errors import BehindHighWater, CheckpointError, ConsistencyProofError, LedgerStateError
from ledger.files import write_atomically
from ledger.log.checkpoint import Checkpoint, open_checkpoint
from ledger.log.merkle import verify_consistency
from signer.note import NoteVerifier


class HighWater:
    """The high-water checkpoint file of one home, for the log ``origin`` signed by ``verifier``'s key."""

    def __init__(self, path: Path, verifier: NoteVerifier, origin: str) -> None:
        self.path = path
        self.verifier = verifier
        self.origin = origin
        self._known: tuple[tuple[int, int, int], Checkpoint] | None = None  # the file as last read, and its mark

    def read(self) -> Checkpoint | None:
        """The recorded checkpoint, verified under the log key; None when the home has none yet.

        Each append reads the mark twice, and it changes only when a file replaces it (``record``, here or in
        another process: a new inode), so the file verified last is known by its inode, mtime and size. (An edit in
        place within one tick of the file clock that keeps the size goes unseen until the file changes again: what
        is returned meanwhile is the mark verified before, never an unverified one.)
        """
        try:
            with self.path.open("rb") as file:
                stat = os.fstat(file.fileno())
                seen = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
                if self._known is not None and self._known[0] == seen:
                    return self._known[1]
                note = file.read().decode("utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise LedgerStateError(f"cannot read the high-water checkpoint {self.path}: {exc}") from None
        try:
            mark = open_checkpoint(note, self.verifier, self.origin)
        except CheckpointError as exc:
            raise LedgerStateError(
                f"the high-water file {self.path} is not a checkpoint of this log: {exc.detail}"
            ) from None
        self._known = (seen, mark)
        return mark

    def require_extended(self, size: int, root: bytes, proof_from: Callable[[int], Sequence[bytes]]) -> None:
        """Refuse the tree (``size``, ``root``) unless it extends the mark; ``proof_from(m)`` proves size m to it."""
        mark = self.read()
        if mark is None or mark.size == 0:
            return
        problem = f"size {size} is smaller" if size < mark.size else None
        if problem is None:
            try:
                verify_consistency(mark.size, size, mark.root, root, proof_from(mark.size))
            except ConsistencyProofError as exc:
                problem = exc.detail
        if problem is not None:
            raise BehindHighWater(
                f"the database's tree of size {size} does not extend the high-water checkpoint of size {mark.size} "
                f"in {self.path} ({problem}): the database was rolled back or replaced; restore it, nothing was signed"
            )

    def record(self, checkpoint: Checkpoint) -> None:
        """Make ``checkpoint`` the mark, unless the file already holds a checkpoint at least as large."""
        with self._locked():
            mark = self.read()
            if mark is None or checkpoint.size > mark.size:
                write_atomically(self.path, checkpoint.note.encode("utf-8"))

    @contextmanager
    def _locked(self) -> Iterator[None]:
        fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock
