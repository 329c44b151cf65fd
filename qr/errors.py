"""Errors of the label printing package, under the project's ``TraceledgerError``.

Identifiers (GTIN, lot, serial, expiry, Digital Link) are refused by ``ledger.identifiers`` with its
``InvalidIdentifier``; this module adds what only labels, and reading codes back, can get wrong::

    TraceledgerError (signer.errors)
    ├── LabelError                   a QR code or label sheet cannot be made as asked
    │   ├── QrTooLong                the text does not fit in one QR code at error correction M
    │   └── InvalidLabelSheet        a bad grid, label count or first serial, or labels too small to print
    └── UnreadableImage              a file given as a QR code's image (a consumer's key) is not an image
"""

from __future__ import annotations

from signer.errors import TraceledgerError


class LabelError(TraceledgerError):
    slug = "label-error"
    title = "Cannot make the label"


class QrTooLong(LabelError):
    slug = "qr-too-long"
    title = "Text too long for a QR code"


class InvalidLabelSheet(LabelError):
    slug = "invalid-label-sheet"
    title = "Invalid label sheet"


class UnreadableImage(TraceledgerError):
    slug = "unreadable-image"
    title = "Cannot read the image"
