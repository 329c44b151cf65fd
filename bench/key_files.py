"""Key file benchmark: the cost of opening an encrypted key (once per command, once per server worker).

Prints the time to open a key file written now (scrypt, ``signer.pkcs8``) and one of the old format (PBKDF2 at
2,048 rounds, ``cryptography``'s BestAvailableEncryption), each the median of a few runs in this process, and their
ratio: the factor by which guessing a passphrase got dearer, too.

    .venv/bin/python -m bench.key_files [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

from cryptography.hazmat.primitives import serialization

from signer.keys import SigningKey

PASSPHRASE = "bench passphrase"  # noqa: S105 -- a throwaway key


def _open_seconds(pem: bytes, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        SigningKey.from_encrypted_pem(pem, PASSPHRASE)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    key = SigningKey.generate()
    old = key.private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASSPHRASE.encode()),
    )
    new_seconds = _open_seconds(key.to_encrypted_pem(PASSPHRASE), runs)
    old_seconds = _open_seconds(old, runs)
    print(f"open a key file: scrypt {new_seconds * 1000:.1f} ms, old PBKDF2-2048 {old_seconds * 1000:.1f} ms")
    print(f"ratio scrypt / old: {new_seconds / old_seconds:.0f}")


if __name__ == "__main__":
    main()
