"""Parallel Ed25519 verification of a batch's envelopes.

libsodium (through pynacl's cffi binding) releases the GIL, so a small thread pool spreads verification over
every core without the cost of shipping messages to other processes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from ledger.errors import BadEnvelopeSignature, UnknownKey
from ledger.events import ParsedEvent
from signer.keys import verify_signature

Check = tuple[int, str, bytes, bytes, bytes]  # (position, keyid, public key, message, signature)


def _first_failure(checks: Sequence[Check]) -> Check | None:
    for check in checks:
        if not verify_signature(check[2], check[3], check[4]):
            return check
    return None


class BatchVerifier:
    """Verifies every signature of a batch against the public keys its keyids name."""

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads or os.cpu_count() or 1
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="verify") if self.threads > 1 else None

    def verify(self, events: Sequence[ParsedEvent], public_keys: Mapping[str, bytes]) -> None:
        """Raise for the first event (by position) with an unknown keyid or a signature that does not verify."""
        checks: list[Check] = []
        for position, event in enumerate(events):
            message = event.envelope.pae()
            for signature in event.envelope.signatures:
                key = public_keys.get(signature.keyid)
                if key is None:
                    raise UnknownKey(f"no key with id {signature.keyid} is known to this ledger").at(position)
                checks.append((position, signature.keyid, key, message, signature.sig))
        if self._pool is None or len(checks) < 2 * self.threads:
            failures = [_first_failure(checks)]
        else:
            chunk = -(-len(checks) // self.threads)
            parts = [checks[i : i + chunk] for i in range(0, len(checks), chunk)]
            failures = list(self._pool.map(_first_failure, parts))
        failed = [f for f in failures if f is not None]
        if failed:
            position, keyid = failed[0][0], failed[0][1]
            raise BadEnvelopeSignature(f"the signature by key {keyid} does not verify").at(position)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
