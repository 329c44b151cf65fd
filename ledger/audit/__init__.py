"""Full audit of a log (DESIGN §2, the audit path): the ingest path run again on a fresh state.

Every entry is parsed and its signatures verified (in worker processes), the rules are replayed from an empty
state, the Merkle tree is rebuilt and compared with every stored node or tile, every checkpoint with the tree,
and the derived views and attachments with what the replay produced. The first discrepancy is named with its
index and kind.
"""

from ledger.audit.auditor import Auditor, audit_log
from ledger.audit.findings import AuditReport, Finding
from ledger.audit.sources import LogSource, NodeChecker, RawEntry, StoredCheckpoint

__all__ = [
    "AuditReport",
    "Auditor",
    "Finding",
    "LogSource",
    "NodeChecker",
    "RawEntry",
    "StoredCheckpoint",
    "audit_log",
]
