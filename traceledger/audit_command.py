"""``traceledger audit``: placeholder wired into the CLI; the audit helper replaces this module."""

from __future__ import annotations


def audit() -> None:
    """Audit a ledger (not built yet)."""
    raise NotImplementedError
