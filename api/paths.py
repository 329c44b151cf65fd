"""The request path as the client sent it, still percent-encoded.

Route parameters are percent-decoded, which loses the difference between ``/`` and ``%2F``; a GS1 lot may hold
``/``, so the subject route and problem ``instance`` values read the raw path instead.
"""

from __future__ import annotations

from typing import Any

from litestar import Request


def raw_path(request: Request[Any, Any, Any]) -> str:
    """The path as sent, without any query string (some ASGI servers and test clients include it in raw_path)."""
    raw = request.scope.get("raw_path")
    if isinstance(raw, bytes) and raw.isascii():
        return raw.decode("ascii").split("?", 1)[0]
    return request.url.path
