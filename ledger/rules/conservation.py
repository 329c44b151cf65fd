"""Quantities are conserved (DESIGN §4): every unit a batch produced is somewhere the rules can name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledger.errors import ConservationError


def check_conservation(path: str, batch: Mapping[str, Any]) -> None:
    """produced = held + in transit + delivered to consumers + consumed as the input of productions. ``batch`` is a
    ``BatchRow`` as the rules keep it, or as a store or an audit reads it back (any mapping of its fields)."""
    held = sum(batch["holdings"].values())
    consumed = batch.get("consumed", 0)
    if batch["quantity"] != held + batch["in_transit"] + batch["delivered"] + consumed:
        raise ConservationError(
            f"batch {path}: produced {batch['quantity']} != held {held} + in transit {batch['in_transit']}"
            f" + delivered {batch['delivered']} + consumed {consumed}"
        )
