"""The reference implementation of the CBV 2.0 event hash (PyPI ``epcis-event-hash-generator``), run on a document."""

from __future__ import annotations

import copy
import warnings
from typing import Any


def reference_hashes(document: dict[str, Any]) -> list[str]:
    """The hash ID the reference implementation computes for each event of an EPCIS document, in order."""
    with warnings.catch_warnings():
        # It opens its bundled JSON-LD contexts with importlib.resources.open_text, deprecated since Python 3.11.
        warnings.simplefilter("ignore", DeprecationWarning)
        from epcis_event_hash_generator.hash_generator import epcis_hashes_from_events
        from epcis_event_hash_generator.json_to_py import event_list_from_epcis_document_json

        events = event_list_from_epcis_document_json(copy.deepcopy(document))
        hashes: list[str] = epcis_hashes_from_events(events)
    return hashes
