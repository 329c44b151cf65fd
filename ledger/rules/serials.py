"""One code, one sale: which serials a batch issued, and that each is sold to a consumer at most once.

A batch issues the serials its labels carry, and ``traceledger producer labels`` numbers them 1 to the batch's
quantity, zero-padded to ``serial_width`` digits: a batch of 200 issues ``0001`` to ``0200``, one of 12,345
``00001`` to ``12345``. Any other serial of the batch (``9999``, ``1``, ``ABC``) was never printed, so an event
naming it is refused. An item is sold when a consumer signs for a parcel carrying it (damaged or not): its
``items`` row then names that receipt, and no parcel may carry it or be signed for with it again. A refused
parcel sells nothing, so its items may be sold again once it is back.
"""

from __future__ import annotations

import re

from ledger.errors import SerialAlreadySold, SerialNotIssued
from ledger.identifiers import parse_subject
from ledger.rules.context import Context
from ledger.rules.goods import batch_row
from ledger.rules.views import ITEMS, BatchRow, ItemRow

MIN_SERIAL_WIDTH = 4  # labels print at least 4 digits, more when the quantity has more
_DIGITS = re.compile(r"[0-9]+")


def serial_width(quantity: int) -> int:
    """How many digits the serials of a batch of ``quantity`` have on its labels."""
    return max(MIN_SERIAL_WIDTH, len(str(quantity)))


def issued(serial: str, quantity: int) -> bool:
    """Whether the labels of a batch of ``quantity`` carry ``serial``."""
    return (
        len(serial) == serial_width(quantity) and _DIGITS.fullmatch(serial) is not None and 1 <= int(serial) <= quantity
    )


def issued_range(quantity: int) -> tuple[str, str]:
    """The first and last serial a batch of ``quantity`` issued."""
    width = serial_width(quantity)
    return "1".zfill(width), str(quantity).zfill(width)


def check_issued(batch_path: str, batch: BatchRow, serial: str) -> None:
    if not issued(serial, batch["quantity"]):
        first, last = issued_range(batch["quantity"])
        raise SerialNotIssued(f"serial {serial!r} was never issued: batch {batch_path} issued {first} to {last}")


def check_item_subject(ctx: Context) -> None:
    """An event about an item names an issued serial of a produced batch."""
    if "/21/" not in ctx.subject:  # cheap: only an item's path holds its serial qualifier between slashes
        return
    subject = parse_subject(ctx.subject)
    if subject.serial is not None and subject.batch_path is not None:
        check_issued(subject.batch_path, batch_row(ctx, subject.batch_path), subject.serial)


def check_unsold(item: str, row: ItemRow | None) -> None:
    """An item a consumer signed for is not carried or signed for again."""
    receipt = None if row is None else row.get("receipt")
    if receipt is not None:
        raise SerialAlreadySold(f"item {item} was already sold: a consumer signed for it with receipt {receipt}")


def record_sale(ctx: Context, items: list[str]) -> None:
    """The consignee signed for ``items`` (the signature being decided is their receipt): each is sold, once."""
    rows = {item: ctx.state.get(ITEMS, item) for item in items}
    for item, row in rows.items():
        check_unsold(item, row)
    for item, row in rows.items():
        assert row is not None  # the dispatch that put the item in the parcel wrote its row
        sold: ItemRow = {**row, "receipt": ctx.event_id}
        ctx.state.put(ITEMS, item, sold)
