"""Values a page shows, each with where the browser finds it in what it verified, so the page cannot overpromise.

A ``Shown`` value renders as a ``<span>`` whose ``data-v-*`` attributes (its binding) tell ``static/fields.js``
where the value stands in the verified history: a JSON path in a verified entry's payload (reached, if need be,
through the verified registration of the actor who signed it or whom it names), the attachment a payload commits
to, the scanned URL, or what the verified history says of the scanned code (issued or not). The browser compares
the shown text (or, for a value shown as its translation, the value the element names) with what it verified, and
flags every difference. A value without a binding is rendered marked
未验证 / not verified. The server still renders from the database; the bindings are what make a forged view show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from string import Formatter
from typing import Literal

Binding = Mapping[str, str]  # the data-v-* attributes of one shown value
Format = Literal["text", "money", "date", "datetime", "stars", "holder"]
CONSUMER = "consumer"  # the holder of a consignee key declared at dispatch: a pseudonymous consumer, not an actor


@dataclass(frozen=True)
class Shown:
    text: str
    binding: Binding | None = None  # None: nothing in the verified history backs it (rendered as unverified)


Part = str | Shown  # a literal of the page's own texts, or a value
Parts = tuple[Part, ...]


@dataclass(frozen=True)
class Line:
    """A line of text made of literals and values; ``binding`` names the value that chose its wording (an enum)."""

    parts: Parts
    binding: Binding | None = None


def entry(event_id: str, path: str, *, via: str = "", format: Format = "text", value: str | None = None,
          default: str | None = None) -> Binding:  # fmt: skip
    """The value at ``path`` (dots, array indices as numbers) in the payload of the verified entry ``event_id``.

    ``via`` first moves to actors' verified registrations, hop by hop (space-separated): ``signer`` is the actor
    holding the key that signed, a path such as ``data.from`` the actor it names. ``value``, when given, is the
    value that the element's text translates (the text itself is then the page's own wording), ``default`` the
    value the schema implies when the payload leaves the field out.
    """
    binding = {"data-v": "entry", "data-v-event": event_id, "data-v-path": path, "data-v-format": format}
    if via:
        binding["data-v-via"] = via
    if value is not None:
        binding["data-v-value"] = value
    if default is not None:
        binding["data-v-default"] = default
    return binding


def attachment(event_id: str, index: int = 0) -> Binding:
    """The text of the attachment the verified payload commits to (``attachments[index]``): the browser fetches
    the stored ``salt || content``, checks its SHA-256 and size against the commitment, and compares the text."""
    return {"data-v": "attachment", "data-v-event": event_id, "data-v-path": f"attachments.{index}"}


def scanned(ai: str, value: str | None = None) -> Binding:
    """A GS1 element of the scanned URL (``01``, ``10``, ``21``, ``00``; ``17`` from the query, by ``value``)."""
    binding = {"data-v": "url", "data-v-path": ai}
    return binding if value is None else {**binding, "data-v-value": value}


def ratings(statistic: Literal["average", "count"]) -> Binding:
    """The average (to a tenth, halves rounded up) or the number of the ratings of the reviews the page lists."""
    return {"data-v": "ratings", "data-v-path": statistic}


def issuance(state: str) -> Binding:
    """What the scanned item's verified history says of its code (``static/issuance.js``): ``outside`` its batch's
    issued serials, or ``undispatched`` (no verified dispatch names it)."""
    return {"data-v": "issuance", "data-v-value": state}


CHECKPOINT_SIZE: Binding = {"data-v": "checkpoint", "data-v-path": "size"}  # written by the browser once verified


def parts(template: str, values: Mapping[str, object]) -> Parts:
    """``template`` with its ``{name}`` fields replaced by ``values``; a ``Shown`` value stays a value."""
    out: list[Part] = []
    for literal, name, _, _ in Formatter().parse(template):
        if literal:
            out.append(literal)
        if name is not None:
            value = values[name]
            out.append(value if isinstance(value, Shown) else str(value))
    return tuple(out)
