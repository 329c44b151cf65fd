"""One product's QR label: the code of its Digital Link with the human-readable interpretation under it."""

from __future__ import annotations

from qr.images import DEFAULT_MODULE_PX, qr_png, qr_svg
from qr.links import parse_link

__all__ = ["label_png", "label_svg"]


def label_png(uri: str, *, module_px: int = DEFAULT_MODULE_PX) -> bytes:
    """A PNG of the Digital Link ``uri`` (validated first) with its HRI text, e.g. ``(01) … (10) … (21) …``."""
    return qr_png(uri, parse_link(uri).hri, module_px=module_px)


def label_svg(uri: str, *, module_px: int = DEFAULT_MODULE_PX) -> str:
    """An SVG of the Digital Link ``uri`` (validated first) with its HRI text, escaped."""
    return qr_svg(uri, parse_link(uri).hri, module_px=module_px)
