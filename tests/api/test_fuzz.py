"""Fuzzing the HTTP API (issue 4): no request, however malformed, gets a 5xx, and every error is a problem document.

Every request goes through Litestar's TestClient to one app over a real SQLite ledger that holds a short story
(a producer and a courier registered, a batch produced and inspected, a parcel dispatched, handed over, signed for,
reviewed and complained about; the review's text uploaded, the inspection report erased, the complaint's text never
uploaded), so that reads can succeed as well as fail. The requests come from two sources:

* schemathesis draws cases for every operation of the app's own OpenAPI schema (``GET /schema/openapi.json``):
  cases that conform to it, and, where the schema constrains anything, cases that break it; the answers are also
  checked against what the schema documents (status codes, media types, response bodies);
* hand-written Hypothesis strategies aim at what is most likely to break a parser: junk bodies and mutated (even
  re-signed) envelopes for ``POST /v1/events``, hostile path segments (percent-encoding, traversal, very long),
  out-of-range and non-numeric proof parameters, tile paths, attachment digests and uploads, and any method on any
  path.

Every answer must pass ``check_answer``: its status is below 500; a 4xx is ``application/problem+json`` with a
``/problems/<slug>`` type the server has a page for, that type's title, the HTTP status and a detail; a 2xx is
JSON, or the documented text of ``/checkpoint``, bytes of tiles and attachments, HTML of problem pages or the
OpenAPI document. A refused submission must also leave the log as it was, and no request may change what the
ledger holds of an attachment.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api import ApiSettings, create_app
from api.catalogue import catalogue
from ledger.events import PAYLOAD_TYPE, SealedAttachment, seal_attachment
from ledger.events.builders import complaint_payload, inspection_payload, review_payload
from ledger.identifiers import batch_subject, item_subject
from ledger.log.tiles import format_index
from ledger.store.attachments import erase_attachment, find_attachments, store_attachment
from ledger.store.ledger import Ledger
from signer.dsse import sign_envelope
from signer.keys import SigningKey
from tests.api.conftest import PROBLEM_JSON, Api, serving
from tests.scenarios.world import gtin, sscc

JSON = "application/json"
OCTET_STREAM = "application/octet-stream"
TEXT = "text/plain; charset=utf-8"
HAM = gtin("690123", 1)
LOT = "XW/2026"  # a lot with a slash: its subject path holds %2F

# Examples per test. The whole file runs in well under a minute; each example is one request (a few in a batch).
SCHEMA_EXAMPLES = 100  # per operation, and again per operation whose schema can be broken
FUZZ_EXAMPLES = 200

FUZZ = settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------------------------------- the property


def _success_media_type(method: str, path: str) -> str:
    """What a 2xx answer to ``method`` on ``path`` is, as documented."""
    path = path.rstrip("/")  # Litestar routes /checkpoint/ as /checkpoint
    if path == "/checkpoint":
        return "text/plain; charset=utf-8"
    if path.startswith("/tile/") or (path.startswith("/v1/attachments/") and method in ("GET", "HEAD")):
        return OCTET_STREAM
    if path == "/problems" or path.startswith("/problems/"):
        return "text/html; charset=utf-8"
    if path == "/schema" or path.startswith("/schema/"):
        return "application/vnd.oai.openapi+json"
    if path.startswith("/epcis/"):
        return "application/ld+json"
    return JSON


def _check_problem(body: Any, status: int, where: str) -> None:
    assert isinstance(body, dict), where
    kind = body.get("type")
    assert isinstance(kind, str), where
    assert kind.startswith("/problems/"), where
    known = catalogue().get(kind.removeprefix("/problems/"))
    assert known is not None, f"no page explains the problem type: {where}"
    assert body.get("title") == known.title, where
    assert body.get("status") == status, where
    detail = body.get("detail")
    assert isinstance(detail, str), where
    assert detail, where


def check_answer(response: httpx.Response) -> None:
    """The fuzzing property, for any answer to any request."""
    request = response.request
    status = response.status_code
    where = f"{request.method} {request.url.raw_path[:300]!r} → {status} {response.content[:300]!r}"
    assert status < 500, where
    assert b"Traceback" not in response.content, where
    media_type = response.headers.get("content-type")
    if status >= 400:
        assert media_type == PROBLEM_JSON, where
        if request.method != "HEAD":  # a HEAD answer has the headers of the problem but no body
            _check_problem(json.loads(response.content), status, where)
        return
    assert 200 <= status < 300, where
    if request.method == "OPTIONS":  # Litestar answers the methods a path allows, with no body
        assert status == 204, where
        assert "allow" in response.headers, where
        return
    assert media_type == _success_media_type(request.method, request.url.path), where
    if request.method == "HEAD":  # the headers of the GET answer, and no body
        assert response.content == b"", where
        return
    if media_type in (JSON, "application/vnd.oai.openapi+json"):
        assert isinstance(json.loads(response.content), dict), where


# ------------------------------------------------------------------------------------------------------- the story


@dataclass(frozen=True)
class Story:
    api: Api
    event_ids: tuple[str, ...]
    actor_ids: tuple[str, ...]
    subjects: tuple[str, ...]
    envelopes: tuple[dict[str, Any], ...]  # every logged envelope, as it was submitted, and two new registrations
    keys: dict[str, SigningKey]  # every signer's key by its kid, to re-sign mutated payloads
    attachments: dict[str, SealedAttachment]  # by status: "stored", "removed" (erased) and "missing" (not uploaded)

    @property
    def client(self) -> httpx.Client:
        return self.api.client

    def size(self) -> int:
        return self.api.fixture.ledger.size()

    def attachment_states(self) -> dict[str, tuple[str, bytes | None]]:
        """What the ledger holds of each committed attachment: its status and stored bytes."""
        found = find_attachments(self.api.fixture.ledger, [a.ref.digest for a in self.attachments.values()])
        return {digest: (held.status, held.stored) for digest, held in found.items()}


def _tell(api: Api) -> Story:
    world = api.world
    producer = world.register("宣威市老浦火腿有限公司", "producer", licences=("food_production",), prefixes=("690123",))
    courier = world.register("曲靖速达快递", "courier")
    batch = batch_subject(HAM, LOT).path
    production = world.produce(producer, HAM, LOT, 100)
    consumer = SigningKey.generate()
    parcel = sscc(1)
    world.dispatch(producer, parcel, [(batch, 2)], consignee=consumer)
    world.handoff(courier, parcel)
    receipt = world.sign_for(consumer, parcel)
    attachments = {
        "stored": seal_attachment("火腿很香".encode(), TEXT),
        "removed": seal_attachment(b"%PDF-1.7 inspection report", "application/pdf"),
        "missing": seal_attachment("有异味".encode(), TEXT),
    }
    report, text, details = (attachments[status].ref for status in ("removed", "stored", "missing"))
    inspection = inspection_payload(producer.key, batch, production, result="pass", standard="GB", report=report)
    world.append(inspection, producer.key)
    world.append(review_payload(consumer, batch, receipt, rating=5, text=text), consumer)
    world.append(complaint_payload(consumer, batch, category="quality", parents=[receipt], details=details), consumer)
    ledger = api.fixture.ledger
    for sealed in (attachments["stored"], attachments["removed"]):
        assert store_attachment(ledger, sealed.ref.digest, sealed.stored)
    assert erase_attachment(ledger, world.registrar, attachments["removed"].ref.digest, "court_order").created
    entries = ledger.entries(0, ledger.size())
    return Story(
        api,
        event_ids=tuple(e.event_id for e in entries),
        actor_ids=(producer.id, courier.id, producer.id.lower()),
        subjects=(batch, item_subject(HAM, LOT, "0001").path, parcel),
        envelopes=(*(json.loads(e.data)["envelope"] for e in entries), *(api.fixture.registration(n) for n in (1, 2))),
        keys={k.kid: k for k in (world.registrar, producer.key, courier.key, consumer)},
        attachments=attachments,
    )


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    with serving(tmp_path_factory.mktemp("fuzz") / "home") as api:
        yield _tell(api)


def _get(story: Story, url: str, params: Sequence[tuple[str, str]] = ()) -> httpx.Response:
    response = story.client.get(url, params=list(params))
    check_answer(response)
    return response


def _post(story: Story, content: bytes, content_type: str | None = JSON) -> httpx.Response:
    """POST ``content`` to /v1/events; a refused submission must store nothing."""
    before = story.size()
    headers = {b"Content-Type": content_type.encode()} if content_type else {}  # as bytes: one is not ASCII
    response = story.client.post("/v1/events", content=content, headers=headers)
    check_answer(response)
    if response.status_code >= 400:
        assert story.size() == before, "a refused submission changed the log"
    return response


# ----------------------------------------------------------------------------------- schemathesis, from the schema


def _no_ledger() -> Ledger:
    raise AssertionError("the schema is read without starting the app")


def _operations() -> list[tuple[str, str, GenerationMode]]:
    """Every operation of the app's schema (read at collection, so each gets its own test) in each mode it admits:
    conforming cases always, schema-breaking ones when the operation takes a body or a constrained parameter (every
    string satisfies a bare string path parameter: there is nothing to break)."""
    schema = create_app(ApiSettings(open_ledger=_no_ledger)).openapi_schema.to_schema()
    cases: list[tuple[str, str, GenerationMode]] = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            cases.append((method.upper(), path, GenerationMode.POSITIVE))
            parameters = [p.get("schema", {}) for p in operation.get("parameters", [])]
            if "requestBody" in operation or any(set(p) - {"type", "description"} for p in parameters):
                cases.append((method.upper(), path, GenerationMode.NEGATIVE))
    return cases


SCHEMA_CASES = _operations()
SCHEMA_CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def openapi(story: Story) -> schemathesis.BaseSchema:
    response = story.client.get("/schema/openapi.json")
    assert response.status_code == 200
    return schemathesis.openapi.from_dict(response.json())


def _query_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _send_case(client: httpx.Client, case: Case[Any]) -> httpx.Response:
    """Send a schemathesis case (serialised for ``requests``) through the Litestar TestClient (``httpx``)."""
    kwargs = case.as_transport_kwargs(base_url="")
    params = tuple(
        (name, _query_value(item))
        for name, value in (kwargs.get("params") or {}).items()
        for item in (value if isinstance(value, list) else [value])
    )
    headers = dict(kwargs.get("headers") or {})
    content: bytes | None = None
    if "json" in kwargs:
        content = json.dumps(kwargs["json"]).encode()
        if not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = JSON
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        content = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    return client.request(kwargs["method"], kwargs["url"], params=params, headers=headers, content=content)


def _case_id(case: tuple[str, str, GenerationMode]) -> str:
    method, path, mode = case
    return f"{method} {path} {mode.value}"


def test_every_served_operation_is_fuzzed(openapi: schemathesis.BaseSchema) -> None:
    served = set()
    for result in openapi.get_all_operations():
        assert isinstance(result, Ok), result
        served.add((result.ok().method.upper(), result.ok().path))
    assert served == {(method, path) for method, path, _ in SCHEMA_CASES}
    assert {("POST", "/v1/events"), ("GET", "/v1/subjects/{path}"), ("GET", "/tile/{level}/{index}")} <= served


@pytest.mark.parametrize("case", SCHEMA_CASES, ids=_case_id)
def test_schemathesis_cases_get_documented_answers(
    story: Story, openapi: schemathesis.BaseSchema, case: tuple[str, str, GenerationMode]
) -> None:
    method, path, mode = case
    operation = openapi[path][method]

    @given(drawn=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=SCHEMA_EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def fuzz(drawn: Case[Any]) -> None:
        response = _send_case(story.client, drawn)
        check_answer(response)
        drawn.validate_response(response, checks=SCHEMA_CHECKS)

    fuzz()


# --------------------------------------------------------------------------------- hand-written: POST /v1/events

_NASTY_BODIES = [
    b"",
    b" \r\n\t",
    b"null",
    b"true",
    b"0",
    b"-0",
    b'"envelope"',
    b"{}",
    b"[]",
    b"[[]]",
    b"[{}]",
    b"[null]",
    b"NaN",
    b"[NaN]",
    b"Infinity",
    b'{"payload":-Infinity}',
    b"1e400",
    b"[1e400, -1e400, 1e-400]",
    b'{"a":1,"a":2}',
    b'[{"payloadType":1,"payloadType":2}]',
    b"{}{}",
    b"{} trailing",
    b"\xef\xbb\xbf{}",  # a UTF-8 byte order mark
    b"\xff\xfe{\x00}\x00",  # UTF-16
    b'"\\ud800"',  # a lone surrogate
    b'{"\\ud800":"\\udfff"}',
    b'["\xff"]',  # not UTF-8
    b"{'payload': 'single quotes'}",
    b"[1,]",
    b'{"a" 1}',
    b"\x00",
]


def _nested(depth: int, kind: str) -> bytes:
    opening, closing = {"array": (b"[", b"]"), "object": (b'{"a":', b"}"), "mixed": (b'[{"a":', b"}]")}[kind]
    return opening * depth + b"0" + closing * depth


_json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
_json_value = st.recursive(
    _json_scalar,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def _dump(value: Any, ascii_only: bool) -> bytes:
    """JSON text of ``value``; with ``ascii_only`` false a lone surrogate goes out as invalid UTF-8, as a client
    with a broken encoder would send it."""
    return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


_junk_body = st.one_of(
    st.sampled_from(_NASTY_BODIES),
    st.binary(max_size=200),
    st.text(max_size=100).map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.builds(_dump, _json_value, st.booleans()),
    st.builds(_nested, st.integers(min_value=1, max_value=200_000), st.sampled_from(["array", "object", "mixed"])),
    st.integers(min_value=1, max_value=50_000).map(lambda n: b"9" * n),  # huge integers
    st.integers(min_value=1, max_value=5_000).map(lambda n: b'{"payloadType":' + b"1" * n + b"}"),
    st.integers(min_value=1, max_value=5_000).map(lambda n: b"0." + b"1" * n + b"e99999"),  # huge floats
)
_content_type = st.sampled_from(
    [
        None,
        JSON,
        "application/json; charset=latin-1",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/octet-stream",
        "\u00e9/\u00e9",
    ]
)


@FUZZ
@given(body=_junk_body, content_type=_content_type)
@example(body=b"1" * 5000, content_type=JSON)  # more digits than Python converts: was a 500
@example(body=b'[{"payloadType":' + b"1" * 4301 + b"}]", content_type=JSON)  # was a 500
@example(body=_nested(100_000, "array"), content_type=JSON)
def test_junk_submissions_are_problems(story: Story, body: bytes, content_type: str | None) -> None:
    response = _post(story, body, content_type)
    assert response.status_code in (400, 413, 422), response.text


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


_base64ish = st.one_of(
    st.binary(max_size=100).map(_b64),  # a signature of any length is still valid base64
    st.binary(min_size=1, max_size=100).map(lambda raw: base64.urlsafe_b64encode(raw).decode("ascii")),
    st.binary(min_size=1, max_size=100).map(lambda raw: _b64(raw).rstrip("=")),
    st.binary(min_size=1, max_size=100).map(lambda raw: _b64(raw) + "\n"),
    st.binary(min_size=1, max_size=100).map(lambda raw: " " + _b64(raw)),
    st.text(max_size=40),
)
_hex_id = st.text(alphabet="0123456789abcdefABCDEF", max_size=70)


def _payload_bytes(value: Any) -> bytes:
    """Sorted compact JSON: canonical when ``value`` keeps to RFC 8785's rules, as close as can be when not."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8", "surrogatepass")


def _mutated_envelope(draw: st.DrawFn, story: Story) -> Any:
    """A logged envelope with one thing broken (or none): a field, the payload bytes, the signatures, or a payload
    field changed and then signed again by the right key, which carries it past the signature checks into the
    payload schema and the rules."""
    envelope = copy.deepcopy(draw(st.sampled_from(story.envelopes)))
    payload = json.loads(base64.b64decode(envelope["payload"]))
    how = draw(
        st.sampled_from(["none", "field", "drop", "payload", "payload type", "signatures", "resign", "resign data"])
    )
    if how == "field":
        envelope[draw(st.sampled_from([*envelope, "extra"]))] = draw(_json_value)
    elif how == "drop":
        del envelope[draw(st.sampled_from(sorted(envelope)))]
    elif how == "payload":
        envelope["payload"] = draw(
            st.one_of(
                _base64ish,
                st.binary(max_size=200).map(_b64),
                _json_value.map(lambda value: _b64(_dump(value, False))),
                st.just(_b64(json.dumps(payload, indent=1).encode())),  # not canonical
                st.just(_b64(json.dumps(payload, ensure_ascii=True, sort_keys=True).encode())),
            )
        )
    elif how == "payload type":
        envelope["payloadType"] = draw(st.one_of(st.text(max_size=60), st.just(PAYLOAD_TYPE.upper())))
    elif how == "signatures":
        signature = st.fixed_dictionaries(
            {"keyid": st.one_of(st.sampled_from(sorted(story.keys)), _hex_id, _json_value), "sig": _base64ish}
        )
        envelope["signatures"] = draw(st.lists(signature | _json_value, max_size=4))
    elif how.startswith("resign"):
        target = payload["data"] if how == "resign data" and isinstance(payload.get("data"), dict) else payload
        target[draw(st.sampled_from([*target, "extra"]))] = draw(_json_value)
        signers = [story.keys[s["keyid"]] for s in envelope["signatures"] if s["keyid"] in story.keys]
        envelope = sign_envelope(PAYLOAD_TYPE, _payload_bytes(payload), signers).to_json()
    return envelope


@st.composite
def _submissions(draw: st.DrawFn, story: Story) -> bytes:
    """One envelope or a batch of them (some logged already, some mutated), maybe with a key written twice."""
    envelopes = [_mutated_envelope(draw, story) for _ in range(draw(st.integers(min_value=0, max_value=4)))]
    body: Any = envelopes[0] if len(envelopes) == 1 and draw(st.booleans()) else envelopes
    text = _dump(body, draw(st.booleans()))
    if draw(st.integers(min_value=0, max_value=9)) == 0 and text.startswith(b"{"):
        text = b'{"payloadType":"",' + text[1:]  # a duplicate key
    return text


@FUZZ
@given(data=st.data())
def test_mutated_envelopes_are_refused_or_logged(story: Story, data: st.DataObject) -> None:
    response = _post(story, data.draw(_submissions(story)))
    assert response.status_code in (200, 201, 400, 403, 409, 413, 422), response.text


# ---------------------------------------------------------------------------------------- hand-written: the reads

_PIECES = [
    "",
    ".",
    "..",
    "%",
    "%2",
    "%ZZ",
    "%00",
    "%2F",
    "%2f",
    "%2E%2E",
    "%252F",
    "%C0%AF",
    "%FF",
    "%E2%80%AE",
    "/",
    "//",
    "\\",
    "~",
    ";",
    ",",
    "=",
    "+",
    "@",
    ":",
    "*",
    "'",
    "$",
    "&",
    " ",
    "\u202e",
    "\uffff",
    "火腿",
    "😀",
    "01",
    "00",
    "10",
    "21",
    "actor",
    "log",
]
_SAFE = ["", "/", "/%", "/%:@!$&'()*+,;=~"]  # what is left as it is when percent-encoding a path


def _encode(text: str, safe: str) -> str:
    return quote(text, safe=safe, errors="surrogatepass")


_raw_piece = st.one_of(
    st.sampled_from(_PIECES),
    st.text(max_size=12),
    st.from_regex(r"[0-9A-Za-z]{1,20}", fullmatch=True),
    st.from_regex(r"[0-9]{12,20}", fullmatch=True),
)
_segments = st.builds(_encode, st.lists(_raw_piece, max_size=8).map("".join), st.sampled_from(_SAFE))
_long = st.one_of(
    st.integers(min_value=100, max_value=30_000).map(lambda n: "a" * n),
    st.integers(min_value=100, max_value=10_000).map(lambda n: "01/" + "0" * n),
    st.integers(min_value=10, max_value=3_000).map(lambda n: "../" * n),  # the client removes these dot segments
    st.integers(min_value=10, max_value=3_000).map(lambda n: "%2E%2E/" * n),  # and leaves these to the server
    st.integers(min_value=10, max_value=3_000).map(lambda n: "%2F" * n),
)


@st.composite
def _edited(draw: st.DrawFn, texts: Sequence[str]) -> str:
    """One of ``texts`` with a few characters replaced by something drawn from the hostile pieces."""
    text = draw(st.sampled_from(texts))
    start = draw(st.integers(min_value=0, max_value=len(text)))
    end = draw(st.integers(min_value=start, max_value=min(len(text), start + 4)))
    return text[:start] + draw(_segments) + text[end:]


def _path_parameter(known: Sequence[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(known), _edited(known), _segments, _long)


@FUZZ
@given(data=st.data())
def test_event_paths(story: Story, data: st.DataObject) -> None:
    hex_ids = _hex_id.map(str.lower)
    event_id = data.draw(st.one_of(_path_parameter(story.event_ids), hex_ids), label="event id")
    response = _get(story, f"/v1/events/{event_id}")
    if event_id in story.event_ids:
        assert response.status_code == 200


@FUZZ
@given(data=st.data())
def test_subject_paths(story: Story, data: st.DataObject) -> None:
    structured = st.lists(st.one_of(st.sampled_from(["01", "00", "10", "21", "actor", HAM]), _segments), max_size=6)
    path = data.draw(st.one_of(_path_parameter(story.subjects), structured.map("/".join)), label="subject path")
    response = _get(story, f"/v1/subjects/{path}")
    if path in story.subjects:
        assert response.status_code == 200


@FUZZ
@given(data=st.data())
def test_actor_paths(story: Story, data: st.DataObject) -> None:
    uscc_like = st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXYabc", min_size=17, max_size=19)
    actor_id = data.draw(st.one_of(_path_parameter(story.actor_ids), uscc_like), label="actor id")
    response = _get(story, f"/v1/actors/{actor_id}")
    if actor_id in story.actor_ids:
        assert response.status_code == 200


@st.composite
def _numbers(draw: st.DrawFn, size: int) -> str:
    """A query value meant as a tree size or index: mostly an integer near the log's size (so that proofs are
    served, or refused by the ledger as out of range), else negative, huge, or not a number at all."""
    if draw(st.integers(min_value=0, max_value=5)):
        return str(draw(st.integers(min_value=-1, max_value=size + 2)))
    return draw(
        st.one_of(
            st.integers(min_value=-(2**80), max_value=2**80).map(str),
            st.integers(min_value=4_000, max_value=6_000).map(lambda n: "9" * n),
            st.sampled_from(["", " 1", "1 ", "+1", "-0", "01", "1.0", "1.5", "1e3", "0x10", "0b1", "1_000", "１", "٣"]),
            st.sampled_from(["NaN", "inf", "-inf", "null", "true", "[]", "%00", "\x00"]),
            st.text(max_size=10),
        )
    )


_usually_one = st.sampled_from([1, 1, 1, 1, 1, 1, 1, 1, 0, 2])


@FUZZ
@given(data=st.data())
def test_proof_queries(story: Story, data: st.DataObject) -> None:
    proof = data.draw(st.sampled_from(["inclusion", "consistency"]), label="proof")
    names = ["index", "size"] if proof == "inclusion" else ["old", "new"]
    numbers = _numbers(story.size())
    # Each parameter is usually there, sometimes missing or repeated; now and then an unknown one comes along.
    params = [(name, data.draw(numbers, label=name)) for name in names for _ in range(data.draw(_usually_one))]
    params += data.draw(st.lists(st.tuples(st.sampled_from(["x", "", "Index"]), numbers), max_size=1), label="extra")
    response = _get(story, f"/v1/proofs/{proof}", params)
    if response.status_code == 200:
        assert {name for name, _ in params} >= set(names)


@st.composite
def _tile_paths(draw: st.DrawFn, size: int) -> str:
    """A tile or entry bundle of the log (or one just past its end), often with its level, index or width
    replaced by any other, canonical or not."""
    level = draw(st.sampled_from(["0", "1", "entries"]))
    index = draw(st.sampled_from(["000", "001"]))
    width = f".p/{draw(st.integers(min_value=1, max_value=size + 1))}"
    broken = draw(st.sampled_from(["nothing", "level", "index", "width"]))
    if broken == "level":
        level = draw(
            st.one_of(
                st.integers(min_value=0, max_value=70).map(str),
                st.sampled_from(["-1", "00", "01", "0x1", "1e1", "", "%30", "９", "entries.p", "ENTRIES"]),
                _segments,
            )
        )
    elif broken == "index":
        index = draw(
            st.one_of(
                st.integers(min_value=0, max_value=10**40).map(format_index),
                st.from_regex(r"(x[0-9]{1,4}/){0,3}[0-9]{1,4}", fullmatch=True),
                _segments,
            )
        )
    elif broken == "width":
        width = draw(
            st.one_of(
                st.just(""),
                st.integers(min_value=-1, max_value=300).map(lambda w: f".p/{w}"),
                st.sampled_from([".p/", ".p/01", ".p/256", ".p", ".P/1", ".p/1/", ".p/1.p/1", ".p/+1"]),
                _segments.map(lambda s: f".p/{s}"),
            )
        )
    return f"/tile/{level}/{index}{width}"


@FUZZ
@given(data=st.data())
def test_tile_paths(story: Story, data: st.DataObject) -> None:
    _get(story, data.draw(_tile_paths(story.size()), label="tile path"))


@FUZZ
@given(name=st.one_of(_path_parameter(sorted(catalogue())), _segments))
def test_problem_pages(story: Story, name: str) -> None:
    response = _get(story, f"/problems/{name}")
    if name in catalogue():
        assert response.status_code == 200


# ------------------------------------------------------------------------------------ hand-written: attachments


@st.composite
def _changed(draw: st.DrawFn, stored: bytes) -> bytes:
    """``stored`` with a byte flipped, cut short or lengthened: never the same bytes."""
    how = draw(st.sampled_from(["flip", "cut", "extend"]))
    if how == "flip":
        at = draw(st.integers(min_value=0, max_value=len(stored) - 1))
        flip = draw(st.integers(min_value=1, max_value=255))
        return stored[:at] + bytes([stored[at] ^ flip]) + stored[at + 1 :]
    if how == "cut":
        return stored[: draw(st.integers(min_value=0, max_value=len(stored) - 1))]
    return stored + draw(st.binary(min_size=1, max_size=20))


@FUZZ
@given(data=st.data())
def test_attachment_digests_and_uploads(story: Story, data: st.DataObject) -> None:
    """Reads and uploads of any digest with any bytes: each committed attachment answers as its status says, its
    own bytes are accepted again only while stored, anything else never, and no request changes what the ledger
    holds (the complaint's text stays missing: its own bytes are never sent)."""
    status_of = {attachment.ref.digest: status for status, attachment in story.attachments.items()}
    well_formed = st.binary(min_size=32, max_size=32).map(lambda raw: "sha256:" + raw.hex())
    hostile = st.one_of(_path_parameter(sorted(status_of)), well_formed)
    digest = data.draw(st.sampled_from(sorted(status_of)) if data.draw(st.booleans()) else hostile, label="digest")
    before = story.attachment_states()
    stored, erased = (story.attachments[status].stored for status in ("stored", "removed"))
    if data.draw(st.booleans(), label="upload"):
        committed = st.sampled_from([attachment.stored for attachment in story.attachments.values()])
        own = {a.ref.digest: a.stored for status, a in story.attachments.items() if status != "missing"}.get(digest)
        exact = st.sampled_from([stored, erased]) if own is None else st.just(own)  # the digest's own bytes, if any
        bodies = st.one_of(exact, committed.flatmap(_changed), st.binary(max_size=64))
        body = data.draw(bodies, label="body")
        response = story.client.put(f"/v1/attachments/{digest}", content=body, headers={"Content-Type": OCTET_STREAM})
        check_answer(response)
        status = status_of.get(response.request.url.path.removeprefix("/v1/attachments/"))  # as the server reads it
        if status == "stored" and body == stored:
            assert response.status_code == 200, response.text  # already stored
        elif status == "removed" and body == erased:
            assert response.status_code == 410, response.text  # erased for good
        else:
            assert response.status_code >= 400, response.text
    else:
        response = _get(story, f"/v1/attachments/{digest}")
        status = status_of.get(response.request.url.path.removeprefix("/v1/attachments/"))
        if status is None:
            assert response.status_code in (400, 404), response.text
        else:
            assert response.status_code == {"stored": 200, "removed": 410, "missing": 404}[status], response.text
        if response.status_code == 200:
            assert response.content == stored
    assert story.attachment_states() == before


# -------------------------------------------------------------------------------- hand-written: any method, any path

_ROUTES = [
    "/",
    "/v1",
    "/v1/",
    "/v1/events",
    "/v1/events/",
    "/v1/subjects",
    "/v1/subjects/",
    "/v1/actors/",
    "/v1/proofs",
    "/v1/proofs/",
    "/v1/proofs/inclusion",
    "/v1/attachments",
    "/v1/attachments/",
    "/checkpoint",
    "/checkpoint/",
    "/tile",
    "/tile/",
    "/tile/0",
    "/tile/entries",
    "/problems",
    "/problems/",
    "/problems/not-found",
    "/schema",
    "/schema/",
    "/schema/openapi.json",
    "/schema/openapi.yaml",
    "/schema/swagger",
    "/schema/redoc",
]
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "BREW"]


@FUZZ
@given(
    method=st.sampled_from(_METHODS),
    route=st.sampled_from(_ROUTES),
    suffix=st.one_of(st.just(""), _segments),
    body=st.one_of(st.just(b""), st.binary(max_size=50), st.sampled_from(_NASTY_BODIES)),
)
@example(method="GET", route="/schema/swagger", suffix="", body=b"")  # was Litestar's HTML 404 page
@example(method="GET", route="/schema/", suffix="nothing", body=b"")
@example(method="GET", route="/checkpoint/", suffix="", body=b"")
def test_any_method_on_any_path(story: Story, method: str, route: str, suffix: str, body: bytes) -> None:
    before = story.size()
    response = story.client.request(method, route + suffix, content=body)
    check_answer(response)
    if response.status_code >= 400:
        assert story.size() == before


# ------------------------------------------------------------ payloads Python's own JSON parser refuses (regressions)

_LEDGER_PARSER_BUGS = [
    pytest.param(b'{"a":' + b"1" * 4301 + b"}", id="payload-with-a-4301-digit-integer"),
    pytest.param(b"[" * 20_000 + b"]" * 20_000, id="payload-nested-20000-deep"),
]


@pytest.mark.parametrize("payload", _LEDGER_PARSER_BUGS)
def test_payloads_the_ledger_cannot_parse_are_problems(story: Story, payload: bytes) -> None:
    envelope = copy.deepcopy(story.envelopes[-1])
    envelope["payload"] = _b64(payload)
    _post(story, json.dumps(envelope).encode())
