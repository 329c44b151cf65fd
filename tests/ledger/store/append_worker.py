"""A process that appends batches to a ledger forever, printing ``ACK <size> <event ids>`` after each commit.

The durability test SIGKILLs it at a random moment and checks what survived.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ledger.events import sign_event
from ledger.events.builders import registration_payload
from signer.keys import SigningKey
from tests.ledger.conftest import PASSPHRASE, make_uscc
from traceledger.settings import Home

BATCH = 50


def main(home: Path) -> None:
    ledger = Home(home).open(PASSPHRASE)
    registrar = SigningKey.from_seed(b"registrar".ljust(32, b"\0"))
    n = 0
    while True:
        batch = []
        for _ in range(BATCH):
            key = SigningKey.from_seed(n.to_bytes(32, "big"))
            payload = registration_payload(registrar, make_uscc(n), f"商户 {n}", ["merchant"], [key.public_key])
            batch.append(sign_event(payload, [registrar]).to_json())
            n += 1
        results = ledger.append(batch)
        print("ACK", results[-1].checkpoint_size, " ".join(r.event_id for r in results), flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
