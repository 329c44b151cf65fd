"""What HTTP asks of every route, whatever handles it: HEAD answered like GET without a body (RFC 9110 §9.3.2),
and a bound on the time a client may take to send its request body.

Both wrap the app's router (``serve_http``) rather than sit among Litestar's middleware, which run only once a
route was chosen by its method: a HEAD request has to be routed as the GET it mirrors.

A client that sends its headers and then trickles the body would otherwise hold a connection (and a handler
waiting for the body) for ever; uvicorn times out only idle keep-alive connections. So the body must arrive within
the deadline or the request is answered 408, and any answer given before the whole body arrived closes the
connection, so that no client keeps a connection open by never finishing a body nobody reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import anyio
from litestar import Litestar, Request
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import RequestTimeout
from api.proxies import IPNetwork, behind_proxies

# 8 MiB (the largest body) arrives in about 30 s at 2 Mbit/s; an event or two from a phone takes well under a second.
DEFAULT_BODY_SECONDS = 60.0
HEAD_STATE = "head_request"  # set in the request's state when a HEAD request is being answered as a GET
_CLOSE = (b"connection", b"close")


def is_head(request: Request[Any, Any, Any]) -> bool:
    """Whether ``request`` came as HEAD (it is routed as GET): nothing of it is shown to anyone."""
    return bool(request.state.get(HEAD_STATE, False))


def with_head(allowed: str) -> str:
    """The methods of an ``Allow`` header (``GET, OPTIONS``), naming HEAD wherever they name GET."""
    methods = [m.strip() for m in allowed.split(",")]
    return ", ".join(sorted([*methods, "HEAD"])) if "GET" in methods and "HEAD" not in methods else allowed


def _with_head_allowed(message: Message) -> None:
    """The ``Allow`` header of a 405 or an OPTIONS answer names HEAD wherever it names GET."""
    headers = MutableScopeHeaders.from_message(message)
    allowed = headers.get("allow")
    if allowed is not None:
        headers["allow"] = with_head(allowed)


def head_as_get(app: ASGIApp) -> ASGIApp:
    """Route HEAD as GET and send its answer's status and headers without the body."""

    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"

        async def send_message(message: Message) -> None:
            if message["type"] == "http.response.start":
                _with_head_allowed(message)
            elif head and message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        if head:
            scope = cast("Scope", {**scope, "method": "GET"})  # the server's own scope keeps saying HEAD
            scope["state"][HEAD_STATE] = True
        await app(scope, receive, send_message)

    return answer


def _has_body(scope: Scope) -> bool:
    headers = dict(scope["headers"])
    return b"transfer-encoding" in headers or headers.get(b"content-length", b"0").strip() not in (b"0", b"")


def body_deadline(app: ASGIApp, seconds: float) -> ASGIApp:
    """Refuse (408) a request whose body has not fully arrived ``seconds`` after the request began, and close
    the connection after any answer sent before its body was complete."""

    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        deadline = anyio.current_time() + seconds
        complete = not _has_body(scope)

        async def receive_in_time() -> Any:
            nonlocal complete
            if complete:
                return await receive()
            try:
                with anyio.fail_after(max(0.0, deadline - anyio.current_time())):
                    message = await receive()
            except TimeoutError:
                raise RequestTimeout(f"the request body did not arrive within {seconds:g} s") from None
            complete = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def send_message(message: Message) -> None:
            if message["type"] == "http.response.start" and not complete:
                message["headers"] = [*message.get("headers", []), _CLOSE]
            await send(message)

        await app(scope, receive_in_time, send_message)

    return answer


def serve_http(app: Litestar, body_seconds: float, trusted_proxies: Sequence[IPNetwork] = ()) -> Litestar:
    """``app`` with HEAD answered wherever GET is, request bodies read under a deadline of ``body_seconds``, and
    forwarding headers believed from ``trusted_proxies`` only (``api.proxies``)."""
    app.asgi_handler = head_as_get(body_deadline(behind_proxies(app.asgi_handler, trusted_proxies), body_seconds))
    return app
