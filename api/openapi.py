"""OpenAPI 3.1 details that Litestar cannot infer: the schema of the raw ``POST /v1/events`` body, and the config.

The events handler reads the raw body (so it can refuse duplicate keys and hand the ledger exactly what was
sent), so its request body is described here, by hand, from the DSSE envelope format of DESIGN §3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, Router
from litestar.exceptions import NotFoundException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema

from ledger.events import MAX_ENVELOPE_BYTES, PAYLOAD_TYPE
from ledger.store.ledger import MAX_BATCH

_BASE64 = Schema(type=OpenAPIType.STRING, content_encoding="base64")
_SIGNATURE = Schema(
    type=OpenAPIType.OBJECT,
    required=["keyid", "sig"],
    properties={
        "keyid": Schema(type=OpenAPIType.STRING, pattern="^[0-9a-f]{32}$", description="kid of the signing key"),
        "sig": Schema(type=OpenAPIType.STRING, content_encoding="base64", description="Ed25519 over DSSE PAE"),
    },
    additional_properties=False,
)
ENVELOPE_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    title="DSSE envelope",
    description=f"A signed event; at most {MAX_ENVELOPE_BYTES} bytes as canonical JSON.",
    required=["payloadType", "payload", "signatures"],
    properties={
        "payloadType": Schema(type=OpenAPIType.STRING, const=PAYLOAD_TYPE),
        "payload": Schema(
            type=OpenAPIType.STRING,
            content_encoding="base64",
            content_media_type="application/json",
            description="the event payload, already in RFC 8785 canonical form",
        ),
        "signatures": Schema(type=OpenAPIType.ARRAY, items=_SIGNATURE, min_items=1, max_items=2),
    },
    additional_properties=False,
)
SUBMISSION_SCHEMA = Schema(
    one_of=[
        ENVELOPE_SCHEMA,
        Schema(type=OpenAPIType.ARRAY, items=ENVELOPE_SCHEMA, min_items=1, max_items=MAX_BATCH),
    ]
)


@dataclass
class SubmitOperation(Operation):
    """The ``POST /v1/events`` operation, with its hand-written request body."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            content={"application/json": OpenAPIMediaType(schema=SUBMISSION_SCHEMA)},
            description=f"One DSSE envelope, or an array of 1 to {MAX_BATCH} envelopes appended atomically.",
            required=True,
        )


_SCHEMA_PATH = "/schema"


def _unknown_schema_page(request: Request[Any, Any, Any]) -> None:
    """Litestar answers any other ``/schema/<path>`` with its own HTML 404 page, which is no problem document;
    its handler is the only one under the schema router with a path parameter, so refuse it before it runs."""
    if "path" in request.path_params:
        raise NotFoundException


def openapi_config() -> OpenAPIConfig:
    """The schema as JSON at ``/schema`` and ``/schema/openapi.json``; no HTML viewer, which would load scripts
    from a CDN."""
    return OpenAPIConfig(
        title="traceledger",
        version="1",
        description="A product traceability ledger: signed events in a verifiable transparency log.",
        path=_SCHEMA_PATH,
        render_plugins=[JsonRenderPlugin(path=["/", "/openapi.json"])],
        openapi_router=Router(
            _SCHEMA_PATH, route_handlers=[], include_in_schema=False, before_request=_unknown_schema_page
        ),
    )
