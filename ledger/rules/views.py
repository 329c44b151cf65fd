"""The derived views the rules keep, by name, with the shape of their rows.

Rows are JSON objects (stored as canonical JSON), keyed by a string:

- ``events``        event id → {kind, subject, actor (kid), index}, read from the entries table (``IN_ENTRIES``)
- ``public_keys``   kid → {public_key, event}: every key ever introduced (registered or consignee), and the
                    first event that declared it; a kid names one key forever
- ``keys``          kid → {actor, public_key, valid_from, valid_until, revoked_at, event}: registered keys
- ``actors``        USCC → {id, name, roles, licences, gs1_prefixes, keys, registration, key_event}
- ``gs1_prefixes``  every leading part (6+ digits) of a registered company prefix → {actors, registered_by}
- ``sanctions``     USCC → {active: [{event, list, until}]}
- ``batches``       batch path → {gtin, lot, producer, product, category, quantity, unit, expiry, production,
                    inspections, listings, recall, holdings {USCC: qty}, in_transit, delivered, reviews {count, sum}}
- ``items``         item path → {batch, parcels: [parcel paths]}
- ``parcels``       parcel path → {sender, to, consignee (kid), contents, head, custodian, status, dispatch,
                    handoffs, signature}
- ``spends``        custody head event id → {by}: a head is spent once; a second spend is a fork
- ``receipts``      signature event id → {parcel, consignee, batches, items, reviews}
- ``reviews``       review event id → {receipt, subject}
- ``complaints``    complaint event id → {subject, by, status, resolution, outcome}
- ``attachments``   digest → {event, subject, signer (kid), erasure}: the first event committing to an attachment,
                    and the ``attachment.erasure`` event that erased its content, if any
- ``log``           "genesis" → {origin, log_vkey, event}
"""

from __future__ import annotations

EVENTS = "events"
PUBLIC_KEYS = "public_keys"
KEYS = "keys"
ACTORS = "actors"
GS1_PREFIXES = "gs1_prefixes"
SANCTIONS = "sanctions"
BATCHES = "batches"
ITEMS = "items"
PARCELS = "parcels"
SPENDS = "spends"
RECEIPTS = "receipts"
REVIEWS = "reviews"
COMPLAINTS = "complaints"
ATTACHED = "attachments"
LOG = "log"

ALL_VIEWS = (
    EVENTS, PUBLIC_KEYS, KEYS, ACTORS, GS1_PREFIXES, SANCTIONS, BATCHES, ITEMS, PARCELS, SPENDS, RECEIPTS,
    REVIEWS, COMPLAINTS, ATTACHED, LOG,
)  # fmt: skip

#: Views whose rows are written once and never change. The store inserts them without upsert, so the database
#: itself refuses a second spend of a custody head, even under racing writers.
WRITE_ONCE = frozenset({SPENDS})

#: Views whose rows the store reads from the entries table instead of keeping a copy: an ``events`` row is the
#: entry's own columns, and the entries' unique event id already refuses a second record of an event.
IN_ENTRIES = frozenset({EVENTS})
