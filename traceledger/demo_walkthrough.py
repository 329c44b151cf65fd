"""What a newcomer needs to take part in the demo: its actors' keys kept in the demo home, encrypted with a
passphrase published for the demo only, and a walkthrough in which the shop sends a ham item to the browser's key,
a courier delivers it, and the browser signs for it and reviews it on ``/consumer``.

The passphrase is fixed so that a second ``traceledger demo`` serves the same ledger and can still append; it
guards demo keys only and is printed in the README and in the walkthrough, never meant for a real ledger.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ledger.files import private_folder
from ledger.rules.views import ITEMS, PARCELS
from ledger.store.ledger import Ledger
from signer.keys import PASSPHRASE_ENV, SigningKey
from traceledger.options import write_key_files
from traceledger.settings import Home

DEMO_PASSPHRASE = "qujing-demo-only"  # noqa: S105 -- published in the README: it guards the demo's keys only
KEY_PLACEHOLDER = "PASTE-YOUR-KEY"  # what the reader replaces with the key the consumer page shows
FIRST_FREE = 100  # walkthrough parcels and items are numbered from here, clear of the demo's own


def save_actor_keys(home: Home, keys: Iterable[tuple[str, SigningKey]], passphrase: str) -> None:
    """Each actor's key as HOME/keys/NAME.pem (encrypted) and NAME.pub, as keygen writes them."""
    private_folder(home.keys_dir)
    for name, key in keys:
        write_key_files(home.keys_dir, name, key, passphrase)


@dataclass(frozen=True)
class Errand:
    """The walkthrough's delivery: who sends what from where, and who carries it where."""

    sender: str  # key file name in HOME/keys
    courier: str
    leaves_from: str
    handed_over_at: str
    parcel: Callable[[int], str]  # the n-th parcel subject the sender may use
    item: Callable[[int], str]  # the n-th item subject of the batch it sells


def _first_unused(ledger: Ledger, view: str, subject: Callable[[int], str]) -> str:
    """The first subject from FIRST_FREE on that the view has no row for (a new parcel, an item never sent)."""
    number = FIRST_FREE
    while ledger.view(view, subject(number)) is not None:
        number += 1
    return subject(number)


def walkthrough(home: Home, ledger: Ledger, base_url: str, errand: Errand, passphrase: str | None) -> str:
    """The steps to print: open the consumer page, send an unused item to its key as the shop, deliver it as the
    courier, then sign for it and review it in the browser."""
    parcel, item = _first_unused(ledger, PARCELS, errand.parcel), _first_unused(ledger, ITEMS, errand.item)
    keys = home.keys_dir

    def command(*words: str) -> str:
        return "./dev traceledger " + " ".join(shlex.quote(word) for word in words)

    if passphrase == DEMO_PASSPHRASE:
        unlock = f"export {PASSPHRASE_ENV}={DEMO_PASSPHRASE}   # the demo's published passphrase (demo keys only)"
    else:
        unlock = f"# the keys are encrypted with your {PASSPHRASE_ENV}; keep it set"
    dispatch = command(
        "merchant", "dispatch", "--url", base_url, "--key", str(keys / f"{errand.sender}.pem"), "--parcel", parcel,
        "--item", item, "--location", errand.leaves_from, "--consignee-key",
    )  # fmt: skip
    handoff = command(
        "courier", "handoff", "--url", base_url, "--key", str(keys / f"{errand.courier}.pem"), "--parcel", parcel,
        "--location", errand.handed_over_at,
    )  # fmt: skip
    return "\n".join([
        f"\nact as the shop and the courier (their keys are in {keys}):",
        f"  1. open {base_url}/consumer on your phone or in a browser, create your receipt key and copy it",
        "  2. the shop sends you a ham item (put your key, or an image of its QR code, in place of "
        f"{KEY_PLACEHOLDER}):",
        f"       {unlock}",
        f"       {dispatch} {KEY_PLACEHOLDER}",
        "  3. the courier delivers it:",
        f"       {handoff}",
        f"  4. on {base_url}/consumer enter the parcel number {parcel}, check it, sign for it, then review it;",
        f"     its page shows your receipt and review: {base_url}/{item}",
    ])  # fmt: skip
