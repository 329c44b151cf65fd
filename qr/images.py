"""QR codes as PNG (Pillow) and SVG (written here), with an optional caption under the code.

Every code uses error correction level M (15 % of the symbol may be damaged) and the 4-module quiet zone that
ISO/IEC 18004 requires around it. Output is deterministic: the same text and caption give the same bytes.

The SVG uses presentation attributes only (no ``style``), so a page with a strict Content Security Policy can
inline it; the caption is XML-escaped, also in the ``aria-label`` that names the image for screen readers.
"""

from __future__ import annotations

import html
import io
import math
import re
from functools import cache

import qrcode
import qrcode.constants
import qrcode.exceptions
from PIL import Image, ImageDraw, ImageFont

from qr.errors import LabelError, QrTooLong

__all__ = ["QUIET_ZONE", "qr_image", "qr_matrix", "qr_png", "qr_svg"]

QUIET_ZONE = 4  # modules of white around the symbol (ISO/IEC 18004)
MAX_BYTES = 2331  # what a version 40 symbol holds in byte mode at error correction M
DEFAULT_MODULE_PX = 8
# Characters XML 1.0 cannot hold (controls other than tab and newlines, lone surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SVG_FONT_SIZE = 2  # caption height in modules
_SVG_CHAR_WIDTH = 0.6  # of a monospace glyph, in em: to size the image to its caption


def qr_matrix(text: str) -> list[list[bool]]:
    """The modules of ``text``'s QR code (True is dark), quiet zone included; ``QrTooLong`` past capacity."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        raise LabelError("the text holds a lone surrogate, which UTF-8 cannot encode") from None
    size = len(data)
    if size > MAX_BYTES:
        raise QrTooLong(f"{size} bytes of text; a QR code at error correction M holds at most {MAX_BYTES}")
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QUIET_ZONE, box_size=1)
    code.add_data(data)
    try:
        code.make(fit=True)
    except qrcode.exceptions.DataOverflowError:  # a mixed-mode split can still overflow just under MAX_BYTES
        raise QrTooLong(f"{size} bytes of text do not fit in a QR code at error correction M") from None
    return [[bool(module) for module in row] for row in code.get_matrix()]


@cache
def bundled_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled font (the same on every machine, so images are reproducible); ASCII glyphs only."""
    return ImageFont.load_default(size=size)


def _printable(caption: str) -> str:
    return _NOT_XML.sub("\ufffd", caption)


def qr_image(text: str, caption: str | None = None, *, module_px: int = DEFAULT_MODULE_PX) -> Image.Image:
    """A 1-bit image of ``text``'s QR code, ``module_px`` pixels a module, the caption centred under it."""
    if module_px < 1:
        raise LabelError(f"module_px {module_px}: a module is at least 1 pixel")
    matrix = qr_matrix(text)
    side = len(matrix) * module_px
    code = Image.new("1", (len(matrix), len(matrix)), 1)
    code.putdata([0 if dark else 1 for row in matrix for dark in row])
    code = code.resize((side, side), Image.Resampling.NEAREST)
    if not caption:
        return code
    font = bundled_font(2 * module_px)
    caption = _printable(caption)
    left, top, right, bottom = (math.ceil(edge) for edge in font.getbbox(caption))
    width = max(side, right - left + 2 * QUIET_ZONE * module_px)
    height = side + (bottom - top) + QUIET_ZONE * module_px
    image = Image.new("L", (width, height), 255)
    image.paste(code.convert("L"), ((width - side) // 2, 0))
    ImageDraw.Draw(image).text(((width - (right - left)) // 2 - left, side - top), caption, fill=0, font=font)
    return image.convert("1", dither=Image.Dither.NONE)


def qr_png(text: str, caption: str | None = None, *, module_px: int = DEFAULT_MODULE_PX) -> bytes:
    """``qr_image`` as PNG bytes."""
    buffer = io.BytesIO()
    qr_image(text, caption, module_px=module_px).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _path(matrix: list[list[bool]]) -> str:
    """The dark modules as one SVG path: a rectangle per horizontal run, in module units."""
    runs: list[str] = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
    return "".join(runs)


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def qr_svg(text: str, caption: str | None = None, *, module_px: int = DEFAULT_MODULE_PX) -> str:
    """An SVG document of ``text``'s QR code, the caption under it; ``module_px`` sets its default display size.

    Without a caption the image is named by ``text`` itself (``aria-label``), cut to 200 characters.
    """
    matrix = qr_matrix(text)
    side = len(matrix)
    label = _printable(caption) if caption else _printable(text if len(text) <= 200 else text[:199] + "…")
    caption_width = len(label) * _SVG_FONT_SIZE * _SVG_CHAR_WIDTH + 2 * QUIET_ZONE if caption else 0
    width = max(float(side), caption_width)
    height = side + (_SVG_FONT_SIZE + QUIET_ZONE / 2 if caption else 0)
    offset = (width - side) / 2
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_number(width)} {_number(height)}" '
        f'width="{_number(width * module_px)}" height="{_number(height * module_px)}" '
        f'shape-rendering="crispEdges" role="img" aria-label="{html.escape(label)}">',
        f'<rect width="{_number(width)}" height="{_number(height)}" fill="#fff"/>',
        f'<path transform="translate({_number(offset)} 0)" fill="#000" d="{_path(matrix)}"/>',
    ]
    if caption:
        parts.append(
            f'<text x="{_number(width / 2)}" y="{_number(side + _SVG_FONT_SIZE * 0.8)}" text-anchor="middle" '
            f'font-family="monospace" font-size="{_SVG_FONT_SIZE}" fill="#000">{html.escape(label)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
