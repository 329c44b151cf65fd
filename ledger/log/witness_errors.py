"""Why a witness refuses a checkpoint, each with the HTTP status c2sp.org/tlog-witness prescribes::

    TraceledgerError (signer.errors)
    └── LedgerError (ledger.errors)
        └── WitnessError
            ├── MalformedWitnessRequest       not an old size line, proof lines, a blank line and a checkpoint
            │   └── OldSizeAboveCheckpoint    the old size is larger than the submitted checkpoint's size
            ├── UnknownLog (404)              the checkpoint's origin is not a log this witness follows
            ├── UntrustedCheckpoint (403)     no valid signature by a key the witness trusts for that origin
            ├── TreeSizeConflict (409)        the old size is not the size the witness last cosigned
            ├── InconsistentCheckpoint (422)  the checkpoint does not extend the tree the witness last cosigned
            │   └── ConflictingRoot (409)     the witness cosigned a tree of this size with another root
            └── WitnessConfigError            a witness's URL or verifier key is not usable

A ``TreeSizeConflict`` is answered in the spec's own form, the witness's size as ``text/x.tlog.size``, so a log
can retry from it; every other refusal is an RFC 9457 problem document.
"""

from __future__ import annotations

from ledger.errors import LedgerError


class WitnessError(LedgerError):
    slug = "witness-error"
    title = "Witness refused the request"


class MalformedWitnessRequest(WitnessError):
    slug = "malformed-witness-request"
    title = "Malformed add-checkpoint request"


class OldSizeAboveCheckpoint(MalformedWitnessRequest):
    slug = "old-size-above-checkpoint"
    title = "Old size above the checkpoint size"


class UnknownLog(WitnessError):
    slug = "unknown-log"
    title = "Unknown log origin"
    status = 404


class UntrustedCheckpoint(WitnessError):
    slug = "untrusted-checkpoint"
    title = "Checkpoint not signed by a trusted log key"
    status = 403


class TreeSizeConflict(WitnessError):
    slug = "tree-size-conflict"
    title = "Old size is not the witness's latest cosigned size"
    status = 409

    def __init__(self, size: int, old_size: int) -> None:
        super().__init__(f"the request's old size is {old_size}; this witness last cosigned size {size}")
        self.size = size


class InconsistentCheckpoint(WitnessError):
    slug = "inconsistent-checkpoint"
    title = "Checkpoint does not extend the witnessed tree"
    status = 422


class WitnessConfigError(WitnessError):
    slug = "witness-config"
    title = "Witness configuration invalid"


class ConflictingRoot(InconsistentCheckpoint):
    slug = "conflicting-root"
    title = "Checkpoint root differs from the witnessed one of the same size"
    status = 409  # c2sp.org/tlog-witness: an old size equal to the checkpoint size with other root hashes
