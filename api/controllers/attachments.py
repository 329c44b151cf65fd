"""Attachment content: ``PUT /v1/attachments/{digest}`` uploads it, ``GET`` serves it (DESIGN §3).

The body of both is the stored form, ``salt (16 bytes) || content``, whose SHA-256 is the digest a logged entry
committed to: an upload is accepted only when it matches that commitment (so no one can store anything else), and a
reader checks what it got against the same digest. ``X-Media-Type`` carries the committed media type; the answer
itself is always ``application/octet-stream``, never sniffed or rendered, since the content is the uploader's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import msgspec
from litestar import Controller, Response, get, put
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import PathParameter, RawBody

from api.problems import problem_responses
from ledger.events.attachments import SALT_SIZE
from ledger.events.payload import DIGEST_RE
from ledger.store.attachments import committed_attachment, read_attachment, store_attachment
from ledger.store.ledger import Ledger

OCTET_STREAM = "application/octet-stream"
MEDIA_TYPE_HEADER = "X-Media-Type"
# The content may be erased at any time (privacy law): caches must ask again before reusing it.
_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff", "Content-Disposition": "attachment"}

Digest = Annotated[
    str,
    PathParameter(
        pattern=f"^{DIGEST_RE.pattern}$",  # the payload schema's own rule
        description="the digest a logged entry committed to: `sha256:` and the hex SHA-256 of salt || content",
    ),
]


class StoredAttachment(msgspec.Struct):
    """An attachment whose content the ledger now holds."""

    digest: str
    media_type: str
    size: int  # bytes of content, without the 16-byte salt
    leaf_index: int  # the entry that committed to it


class Commitment(msgspec.Struct):
    """The logged event that committed to an attachment, and what became of its content: what an erasure follows."""

    digest: str
    media_type: str
    size: int  # bytes of content, without the 16-byte salt
    leaf_index: int  # the first entry that committed to it
    event_id: str
    subject: str
    status: str  # stored, missing (not uploaded) or removed (erased by a logged attachment.erasure)
    erased_at: str | None  # the erasure's logged_at


@dataclass
class UploadOperation(Operation):
    """The ``PUT`` operation, whose raw body Litestar cannot describe itself."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            content={OCTET_STREAM: OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING, format="binary"))},  # type: ignore[arg-type]
            description=f"salt ({SALT_SIZE} bytes) || content: exactly the bytes the digest was computed over",
            required=True,
        )


class AttachmentsController(Controller):
    path = "/v1/attachments"
    tags = ("attachments",)

    @put(
        "/{digest:str}",
        sync_to_thread=True,
        status_code=201,
        operation_class=UploadOperation,
        summary="Upload an attachment's content",
        description=(
            "Stores the content of an attachment that a logged event committed to. Answers 201 when stored now, "
            "200 when it already was; 404 when no logged event commits to the digest, 400 when the bytes do not "
            "match its digest or size, 410 once the content was erased (it is never stored again)."
        ),
        responses={
            200: ResponseSpec(StoredAttachment, generate_examples=False, description="Already stored"),
            **problem_responses(400, 404, 410, 413),
        },
    )
    def upload(self, digest: Digest, body: RawBody, ledger: NamedDependency[Ledger]) -> Response[StoredAttachment]:
        created = store_attachment(ledger, digest, body)
        found = committed_attachment(ledger, digest)
        answer = StoredAttachment(digest, found.ref.media_type, found.ref.size, found.leaf_index)
        return Response(answer, status_code=201 if created else 200)

    @get(
        "/{digest:str}",
        sync_to_thread=True,
        media_type=OCTET_STREAM,
        summary="An attachment's stored bytes: salt || content",
        description=(
            "The bytes whose SHA-256 is the digest (check it), with the committed media type in `X-Media-Type`. "
            "404 when no logged event commits to the digest or its content has not been uploaded, 410 once erased."
        ),
        response_headers=[
            ResponseHeader(name=MEDIA_TYPE_HEADER, documentation_only=True, description="the committed media type")
        ],
        responses=problem_responses(400, 404, 410, 429),
    )
    def download(self, digest: Digest, ledger: NamedDependency[Ledger]) -> Response[bytes]:
        sealed = read_attachment(ledger, digest)
        headers = {MEDIA_TYPE_HEADER: sealed.ref.media_type, **_HEADERS}
        return Response(sealed.stored, media_type=OCTET_STREAM, headers=headers)

    @get(
        "/{digest:str}/commitment",
        sync_to_thread=True,
        summary="The event that committed to an attachment, and whether its content is stored, missing or removed",
        description=(
            "An erasure (`attachment.erasure`, posted to `POST /v1/events`) follows this event and names its "
            "subject. 404 when no logged event commits to the digest."
        ),
        responses=problem_responses(400, 404, 429),
    )
    def commitment(self, digest: Digest, ledger: NamedDependency[Ledger]) -> Commitment:
        found = committed_attachment(ledger, digest)
        entry = ledger.entry(found.leaf_index)
        ref = found.ref
        return Commitment(
            ref.digest, ref.media_type, ref.size, found.leaf_index, entry.event_id, entry.subject, found.status,
            found.erased_at,
        )  # fmt: skip
