"""GS1 Digital Links on QR codes and printable label sheets (DESIGN §2).

The identifiers are validated by ``ledger.identifiers``; this package builds on it:

Digital Links (``qr.links``)
    ``item_link(base_url, gtin, lot, serial, expiry=None)``, ``batch_link(...)``, ``parcel_link(base_url, sscc)``
    build ``https://<host>/<subject path>[?17=YYMMDD]``; ``parse_link(uri)`` parses and validates one (cross-checked
    with ``biip``). Each returns a ``LabelLink``: ``.uri``, ``.link`` (``ledger.identifiers.DigitalLink``),
    ``.element_strings`` and ``.hri``, e.g. ``(01) 06901230000010 (10) XW2026-11 (21) 0001``.

QR codes of any text (``qr.images``)
    ``qr_png(text, caption=None)`` → PNG bytes, ``qr_svg(text, caption=None)`` → an SVG document (inlinable under a
    strict CSP), ``qr_image(...)`` → a Pillow image, ``qr_matrix(text)`` → the modules. Error correction M, a
    4-module quiet zone; ``QrTooLong`` past a QR code's capacity.

Labels (``qr.labels``, ``qr.sheets``)
    ``label_png(uri)`` / ``label_svg(uri)``: one Digital Link's code with its HRI text under it.
    ``label_sheet_pdf(links, Grid(3, 8))``: A4 pages of item labels; ``item_links(...)`` and
    ``serial_numbers(count, first)`` make the links of a batch's serialised items.

Errors: bad identifiers raise ``ledger.errors.InvalidIdentifier``; the rest ``qr.errors.LabelError``.
"""

from qr.errors import InvalidLabelSheet, LabelError, QrTooLong
from qr.images import qr_image, qr_matrix, qr_png, qr_svg
from qr.labels import label_png, label_svg
from qr.links import LabelLink, batch_link, item_link, parcel_link, parse_link
from qr.sheets import DEFAULT_GRID, MAX_LABELS, Grid, item_links, label_pages, label_sheet_pdf, serial_numbers

__all__ = [
    "DEFAULT_GRID",
    "MAX_LABELS",
    "Grid",
    "InvalidLabelSheet",
    "LabelError",
    "LabelLink",
    "QrTooLong",
    "batch_link",
    "item_link",
    "item_links",
    "label_pages",
    "label_png",
    "label_sheet_pdf",
    "label_svg",
    "parcel_link",
    "parse_link",
    "qr_image",
    "qr_matrix",
    "qr_png",
    "qr_svg",
    "serial_numbers",
]
