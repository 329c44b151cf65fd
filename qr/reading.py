"""Reading QR codes from images (a photo or screenshot of a consumer's key code), with zxing-cpp."""

from __future__ import annotations

from pathlib import Path

import zxingcpp
from PIL import Image, UnidentifiedImageError

from qr.errors import UnreadableImage


def image_texts(path: Path) -> list[str]:
    """The text of every QR code found in the image file at ``path``, in the order zxing-cpp finds them."""
    try:
        with Image.open(path) as image:
            grey = image.convert("L")
    except (OSError, UnidentifiedImageError) as exc:
        raise UnreadableImage(f"cannot read {path} as an image: {exc}") from None
    found = zxingcpp.read_barcodes(grey, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode))
    return [result.text for result in found if result.valid]
