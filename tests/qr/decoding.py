"""Reading QR codes back, as a phone would: zxing-cpp on the rendered images, and the images inside a PDF."""

from __future__ import annotations

import io

import pypdf
import zxingcpp
from PIL import Image


def decoded(image: Image.Image) -> list[str]:
    """The text of every QR code zxing-cpp finds in ``image``, each checked to be at error correction M."""
    results = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode))
    assert all(result.valid for result in results)
    assert {result.ec_level for result in results} <= {"M"}
    return [result.text for result in results]


def png_image(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def pdf_pages(data: bytes) -> list[list[Image.Image]]:
    """The images on each page of a PDF, decoded by pypdf."""
    pages: list[list[Image.Image]] = []
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        images = [embedded.image for embedded in page.images]
        assert None not in images, "pypdf could not decode an image of the page"
        pages.append([image for image in images if image is not None])
    return pages
