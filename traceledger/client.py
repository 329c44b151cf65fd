"""A small HTTP client of the traceledger API, for the commands that talk to a running server (``--url``).

It reads what a role command needs before it signs (an actor's record, a logged event, a subject's history) and
a subject's trace (``traceledger trace``, ``regulator recall-scope``), submits signed envelopes to
``POST /v1/events`` and uploads attachment content to ``PUT /v1/attachments``. Every
failure is a ``TraceledgerError``, so the command line prints it as its usual one line: an RFC 9457 problem
answer becomes the error it names (the local class when this program defines that problem type with the same
title, else a ``RemoteProblem`` carrying the server's own type, title and status), an unreachable server is
``ServerUnreachable``, and any other answer is ``RemoteError``.

The answers are read, not verified: entries' bytes are parsed and their event ids recomputed from them, but
inclusion proofs and the checkpoint signature are not checked against the log's key.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from types import TracebackType
from typing import Any, TypeVar, cast
from urllib.parse import quote, urlencode, urlsplit

import httpx
import msgspec

import ledger.errors
from api.credit import SanctionList
from ledger.events import EventPayload, LogEntry, ParsedEvent
from ledger.trace import Direction, Trace
from signer.encoding import b64decode_strict
from signer.errors import TraceledgerError
from signer.keys import kid_of

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEMS_PREFIX = "/problems/"
DEFAULT_TIMEOUT = 30.0
CUSTODY_KINDS = frozenset({"shipment", "signature"})  # the events that move a parcel's custody head
USER_AGENT = "traceledger-cli"

_T = TypeVar("_T")


class RemoteError(TraceledgerError):
    """The server answered something this client cannot use (not the traceledger API, or not what it promises)."""

    slug = "remote-error"
    title = "Unexpected answer from the server"
    status = 502


class ServerUnreachable(RemoteError):
    slug = "server-unreachable"
    title = "Server unreachable"
    status = 503


class BadServerUrl(RemoteError):
    slug = "bad-server-url"
    title = "Invalid server URL"
    status = 400


class RemoteProblem(RemoteError):
    """A problem answer whose type this program does not define (or defines with another title): a subclass made
    for the answer carries the server's own slug, title and status."""


# ---- the documents read ----------------------------------------------------------------------------------------


class _Problem(msgspec.Struct):
    type: str = "about:blank"
    title: str = ""
    status: int = 0
    detail: str = ""
    event_index: int | None = None


class AttachmentCommitment(msgspec.Struct):
    """The event that committed to an attachment, as ``/v1/attachments/{digest}/commitment`` answers (in part)."""

    event_id: str
    subject: str


class LoggedEntry(msgspec.Struct):
    """An entry as the API lists it (the inclusion proof is not read)."""

    index: int
    event_id: str
    kind: str
    subject: str
    entry: str  # base64 of the exact entry bytes

    def parse(self) -> LogEntry:
        """The entry's bytes parsed (canonical form, envelope, payload schema); its event id must be the one listed."""
        try:
            parsed = LogEntry.parse(base64.b64decode(self.entry, validate=True))
        except (binascii.Error, TraceledgerError) as exc:
            raise RemoteError(f"entry {self.index} of the server's answer does not parse: {exc}") from None
        if parsed.event.event_id != self.event_id:
            raise RemoteError(f"entry {self.index}: its bytes are event {parsed.event.event_id}, not {self.event_id}")
        return parsed


class SubjectHistory(msgspec.Struct):
    """``GET /v1/subjects/{path}``: a subject's entries and the registrations of every key that signed them."""

    subject: str
    entries: list[LoggedEntry]
    registrations: list[LoggedEntry]


class ActorRecord(msgspec.Struct):
    """``GET /v1/actors/{id}``, the fields a command needs."""

    id: str
    registration: str
    key_event: str


class EventRecord(msgspec.Struct):
    """``GET /v1/events/{id}``, the fields a command needs."""

    index: int
    event_id: str
    kind: str
    subject: str


class RiskRecord(msgspec.Struct):
    """A finding of the server's risk queue, the fields of ``RiskRow`` and its event id."""

    finding: str
    index: int
    logged_at: str
    detector: str
    subject: str
    actor: str | None
    evidence: list[str]
    status: str
    actions: list[str]


class _RiskQueue(msgspec.Struct):
    risks: list[RiskRecord]


class ComplaintRecord(msgspec.Struct):
    """A complaint of the server's queue: the fields of ``ComplaintRow``, its event id, due time and overdue flag."""

    complaint: str
    index: int
    subject: str
    by: str
    category: str
    channel: str
    against: str | None
    filed_at: str
    due: str | None
    overdue: bool
    status: str
    resolution: str | None
    outcome: str | None
    reason: str | None
    resolved_at: str | None
    resolution_seconds: int | None


class _ComplaintQueue(msgspec.Struct):
    complaints: list[ComplaintRecord]


class Appended(msgspec.Struct):
    index: int
    event_id: str
    checkpoint_size: int


class _AppendResponse(msgspec.Struct):
    entries: list[Appended]


# ---- problems --------------------------------------------------------------------------------------------------


def _subclasses(root: type[TraceledgerError]) -> Iterator[type[TraceledgerError]]:
    for cls in root.__subclasses__():
        yield cls
        yield from _subclasses(cls)


def _local_error(slug: str) -> type[TraceledgerError] | None:
    """The signer's or ledger's error class for a problem slug, or None (then the server's words are kept).

    Only those two modules' classes count, so the answer does not depend on what else this process imported.
    """
    assert ledger.errors  # imported for its classes, which register themselves as subclasses
    for cls in _subclasses(TraceledgerError):
        if cls.slug == slug and cls.__module__ in ("signer.errors", "ledger.errors"):
            return cls
    return None


@cache
def _problem_class(slug: str, title: str, status: int) -> type[RemoteProblem]:
    attributes = {"slug": slug, "title": title, "status": status, "__module__": __name__}
    return cast("type[RemoteProblem]", type("RemoteProblem", (RemoteProblem,), attributes))


def problem_error(status: int, body: bytes) -> TraceledgerError:
    """The error an ``application/problem+json`` answer names, with the server's title and detail."""
    try:
        problem = msgspec.json.decode(body, type=_Problem)
    except msgspec.DecodeError:
        return RemoteError(f"the server answered {status} with a problem document that does not parse")
    slug = problem.type.rsplit(PROBLEMS_PREFIX, 1)[-1] if PROBLEMS_PREFIX in problem.type else problem.type
    title = problem.title or f"HTTP {status}"
    detail = problem.detail or "(the server gave no detail)"
    local = _local_error(slug)
    if local is not None and local.title == title:
        error = local(detail)
        if isinstance(error, ledger.errors.LedgerError):
            error.position = problem.event_index
        return error
    return _problem_class(slug, title, problem.status or status)(detail)


# ---- the client ------------------------------------------------------------------------------------------------


def check_url(url: str) -> str:
    """A server's base URL, ``http(s)://host[:port][/prefix]``, without a trailing slash."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise BadServerUrl(f"--url {url!r} must be http:// or https:// with a host, e.g. http://127.0.0.1:8000")
    try:
        parts.port  # noqa: B018 -- raises on a malformed port
    except ValueError:
        raise BadServerUrl(f"--url {url!r} has an invalid port") from None
    return url.rstrip("/")


class LedgerClient:
    """Reads and appends through a traceledger server's HTTP API (``with LedgerClient(url) as client: ...``)."""

    def __init__(
        self, url: str, *, timeout: float = DEFAULT_TIMEOUT, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.url = check_url(url)
        headers = {"User-Agent": USER_AGENT, "Accept": f"application/json, {PROBLEM_MEDIA_TYPE}"}
        self._http = httpx.Client(base_url=self.url, timeout=timeout, headers=headers, transport=transport)
        self._api_checked = False

    def __enter__(self) -> LedgerClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- reads: None when the server says that there is no such thing

    def subject(self, path: str) -> SubjectHistory | None:
        """The history of a batch, item or parcel (``path`` canonical, as ``parse_subject`` gives it)."""
        return self._read(f"/v1/subjects/{path}", SubjectHistory)

    def actor(self, actor_id: str) -> ActorRecord | None:
        return self._read(f"/v1/actors/{quote(actor_id, safe='')}", ActorRecord)

    def event(self, event_id: str) -> EventRecord | None:
        return self._read(f"/v1/events/{quote(event_id, safe='')}", EventRecord)

    def commitment(self, digest: str) -> AttachmentCommitment | None:
        """The logged event that committed to an attachment (what its erasure follows)."""
        return self._read(f"/v1/attachments/{quote(digest, safe=':')}/commitment", AttachmentCommitment)

    def trace(self, path: str, direction: Direction, depth: int) -> Trace | None:
        """The trace of a batch, item or parcel (``path`` canonical), read as ``ledger.trace`` builds it (the
        answer's checkpoint and inclusion proofs are not read)."""
        return self._read(f"/v1/trace/{path}?{urlencode({'direction': direction, 'depth': depth})}", Trace)

    # -- what the role commands derive from the reads

    def production(self, batch: str) -> ParsedEvent | None:
        """The production event of a batch, from its history."""
        history = self.subject(batch)
        for logged in history.entries if history else []:
            if logged.kind == "production" and logged.subject == batch:
                return logged.parse().event
        return None

    def custody(self, parcel: str) -> tuple[str, str] | None:
        """A parcel's custody head (its last dispatch, handoff or signature) and its custodian: the organisation
        that signed its last dispatch or handoff, found among the history's key registrations."""
        history = self.subject(parcel)
        if history is None:
            return None
        moves = [e.parse().event for e in history.entries if e.kind in CUSTODY_KINDS and e.subject == parcel]
        shipments = [event.payload for event in moves if event.payload.kind == "shipment"]
        if not shipments:
            return None
        owners = _key_owners(e.parse().event.payload for e in history.registrations)
        holder = owners.get(shipments[-1].actor)
        if holder is None:
            raise RemoteError(f"the server's history of {parcel} does not show whose key signed its last shipment")
        return moves[-1].event_id, holder

    # -- appending

    def submit(self, envelope: Mapping[str, Any]) -> Appended:
        """Append one signed envelope; its entry (also when it was already logged)."""
        return self._post_events(envelope, 1)[0]

    def submit_batch(self, envelopes: Sequence[Mapping[str, Any]]) -> list[Appended]:
        """Append signed envelopes as one atomic batch; their entries, in order."""
        return self._post_events(list(envelopes), len(envelopes))

    def _post_events(self, body: object, count: int) -> list[Appended]:
        content = json.dumps(body, ensure_ascii=False).encode("utf-8")
        response = self._send("POST", "/v1/events", content=content, headers={"Content-Type": "application/json"})
        if response.status_code not in (200, 201):
            raise self._refusal(response)
        entries = self._decode(response, _AppendResponse).entries
        if len(entries) != count:
            raise RemoteError(f"the server answered {len(entries)} entries for {count} envelope(s)")
        return entries

    def put_attachment(self, digest: str, stored: bytes) -> bool:
        """Upload an attachment's ``salt || content``; True if the server stored it now, False if it already had it."""
        path = f"/v1/attachments/{quote(digest, safe=':')}"
        response = self._send("PUT", path, content=stored, headers={"Content-Type": "application/octet-stream"})
        if response.status_code not in (200, 201):
            raise self._refusal(response)
        return response.status_code == 201

    def risks(self, query: Mapping[str, str]) -> list[RiskRecord]:
        """The server's queue of risk findings (``GET /v1/risks``) matching the filters of ``query``."""
        return self._queue("/v1/risks", query, _RiskQueue, "risk queue").risks

    def complaints(self, query: Mapping[str, str]) -> list[ComplaintRecord]:
        """The server's complaint queue (``GET /v1/complaints``) matching the filters of ``query``."""
        return self._queue("/v1/complaints", query, _ComplaintQueue, "complaint queue").complaints

    def sanctions(self, query: Mapping[str, str]) -> SanctionList:
        """The server's public disclosure list of sanctions (``GET /v1/sanctions``)."""
        return self._queue("/v1/sanctions", query, SanctionList, "sanction list")

    def _queue(self, path: str, query: Mapping[str, str], kind: type[_T], what: str) -> _T:
        """A queue the server serves at ``path``, filtered by ``query``."""
        queue = self._read(path + (f"?{urlencode(query)}" if query else ""), kind)
        if queue is None:
            raise RemoteError(f"{self.url} serves no {what} at {path}")
        return queue

    def origin(self) -> str:
        """The log's origin, the first line of its latest checkpoint."""
        response = self._send("GET", "/checkpoint")
        if response.status_code != 200:
            raise self._refusal(response)
        return response.text.split("\n", 1)[0]

    # -- HTTP

    def _send(self, method: str, path: str, **options: Any) -> httpx.Response:
        try:
            return self._http.request(method, path, **options)
        except httpx.TimeoutException:
            raise ServerUnreachable(f"{method} {self.url}{path}: no answer within the timeout") from None
        except httpx.TransportError as exc:
            reason = str(exc) or type(exc).__name__
            raise ServerUnreachable(f"{method} {self.url}{path}: {reason}") from None

    def _read(self, path: str, kind: type[_T]) -> _T | None:
        response = self._send("GET", path)
        if response.status_code == 200:
            return self._decode(response, kind)
        error = self._refusal(response)
        if type(error) is ledger.errors.NotFound:
            self._check_api()  # a wrong base URL also answers not-found, for every path
            return None
        raise error

    def _check_api(self) -> None:
        """Check once that the base URL serves the traceledger API, whose ``/checkpoint`` always exists."""
        if self._api_checked:
            return
        response = self._send("GET", "/checkpoint")
        if response.status_code != 200 or not response.headers.get("content-type", "").startswith("text/plain"):
            raise RemoteError(
                f"{self.url} does not serve the traceledger API: GET /checkpoint answered {response.status_code}"
            )
        self._api_checked = True

    def _decode(self, response: httpx.Response, kind: type[_T]) -> _T:
        try:
            return msgspec.json.decode(response.content, type=kind)
        except msgspec.DecodeError as exc:
            where = f"{response.request.method} {response.request.url}"
            raise RemoteError(f"{where} answered a document this client does not understand: {exc}") from None

    def _refusal(self, response: httpx.Response) -> TraceledgerError:
        media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type == PROBLEM_MEDIA_TYPE:
            return problem_error(response.status_code, response.content)
        where = f"{response.request.method} {response.request.url}"
        return RemoteError(f"{where} answered {response.status_code} {response.reason_phrase}, not the traceledger API")


def _key_owners(payloads: Iterator[EventPayload]) -> dict[str, str]:
    """kid → organisation id, from registration, key and genesis payloads."""
    owners: dict[str, str] = {}
    for payload in payloads:
        data = payload.data
        if payload.kind == "genesis":
            grants = [(r.get("id"), k) for r in data.get("registrars", []) for k in r.get("keys", [])]
        elif payload.kind == "actor.register":
            grants = [(payload.subject.removeprefix("actor/"), k.get("public_key")) for k in data.get("keys", [])]
        elif payload.kind == "actor.keys":
            grants = [(payload.subject.removeprefix("actor/"), k.get("public_key")) for k in data.get("add", [])]
        else:
            continue
        for actor_id, public_key in grants:
            if isinstance(actor_id, str) and isinstance(public_key, str):
                owners[kid_of(b64decode_strict(public_key, "public_key"))] = actor_id
    return owners
