"""The request path as the client sent it, still percent-encoded.

Route parameters are percent-decoded, which loses the difference between ``/`` and ``%2F``; a GS1 lot may hold
``/``, so the subject and trace routes and problem ``instance`` values read the raw path instead.
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


def subject_path(request: Request[Any, Any, Any], prefix: str, decoded: str) -> str:
    """The subject path after ``prefix`` as sent, still percent-encoded (``parse_subject`` decodes each segment);
    ``decoded``, the route parameter, when the raw path is not available."""
    sent = raw_path(request)
    return sent.split(prefix, 1)[1] if prefix in sent else decoded.removeprefix("/")
