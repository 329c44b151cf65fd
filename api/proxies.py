"""Which requests came through a proxy the operator trusts: only those may say who the client is.

``X-Forwarded-For`` (whose address the rate limits count) and the edge's city headers (which the portal's scans
record) are set by whoever sends the request, so they are believed only when the connection comes from one of the
configured ``trusted_proxies`` networks; by default none is, and every client is the address it connects from.
Loopback is not trusted by default either: any local process could then pass for anyone (as uvicorn's own default
of trusting 127.0.0.1 let it). The server is run with uvicorn's proxy handling off, so that this is the one place
deciding it, under ``traceledger serve`` and in tests alike.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any, TypeAlias, cast

from litestar import Request
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network
VIA_PROXY_STATE = "via_trusted_proxy"  # set in the request's state when it came from a trusted proxy


def via_trusted_proxy(request: Request[Any, Any, Any]) -> bool:
    """Whether ``request`` reached us through a trusted proxy, so that its forwarding headers may be believed."""
    return bool(request.state.get(VIA_PROXY_STATE, False))


def _is_within(host: str, networks: Sequence[IPNetwork]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in networks)


def behind_proxies(app: ASGIApp, trusted: Sequence[IPNetwork]) -> ASGIApp:
    """Mark requests from a ``trusted`` peer, and take their client from ``X-Forwarded-For`` (the nearest address
    that is not itself a trusted proxy, as uvicorn's ProxyHeadersMiddleware reads it); others keep their peer."""
    forwarded = cast("ASGIApp", ProxyHeadersMiddleware(cast("Any", app), trusted_hosts=[str(n) for n in trusted]))

    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] != ScopeType.HTTP or not trusted or client is None or not _is_within(client[0], trusted):
            await app(scope, receive, send)
            return
        scope["state"][VIA_PROXY_STATE] = True
        await forwarded(scope, receive, send)

    return answer
