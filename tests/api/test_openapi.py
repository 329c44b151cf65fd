"""The OpenAPI 3.1 schema describes every endpoint, the submission body and the problem answers."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api

PATHS = {
    "/v1/events": "post",
    "/v1/events/{event_id}": "get",
    "/v1/subjects/{path}": "get",
    "/v1/trace/{path}": "get",
    "/v1/actors/{actor_id}": "get",
    "/v1/proofs/inclusion": "get",
    "/v1/proofs/consistency": "get",
    "/checkpoint": "get",
    "/tile/{level}/{index}": "get",
    "/tile/entries/{index}": "get",
    "/problems/{name}": "get",
}


def _schema(api: Api, path: str = "/schema") -> dict[str, Any]:
    response = api.client.get(path)
    assert response.status_code == 200
    schema: dict[str, Any] = response.json()
    return schema


def test_the_schema_is_openapi_3_1_json_with_every_path(api: Api) -> None:
    schema = _schema(api)
    assert schema["openapi"].startswith("3.1")
    assert schema == _schema(api, "/schema/openapi.json")
    for path, method in PATHS.items():
        assert method in schema["paths"].get(path, {}), path


def test_the_submission_body_and_answers_are_described(api: Api) -> None:
    schema = _schema(api)
    post = schema["paths"]["/v1/events"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    envelope, batch = body["oneOf"]
    assert envelope["required"] == ["payloadType", "payload", "signatures"]
    assert batch["items"] == envelope
    assert batch["maxItems"] == 1000
    assert {"200", "201", "400", "403", "409", "413", "422"} <= set(post["responses"])
    assert "application/problem+json" in post["responses"]["409"]["content"]
    components = schema["components"]["schemas"]
    assert {"AppendResponse", "EventResponse", "HistoryBundle", "ActorResponse", "TraceResponse", "Problem"} <= set(
        components
    )
    problem = components["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])
    assert "list" in components["Sanction"]["properties"]


def test_the_trace_parameters_and_answer_are_described(api: Api) -> None:
    schema = _schema(api)
    get = schema["paths"]["/v1/trace/{path}"]["get"]
    parameters = {p["name"]: p for p in get["parameters"]}
    assert parameters["direction"]["schema"]["enum"] == ["forward", "backward"]
    assert (parameters["depth"]["schema"]["minimum"], parameters["depth"]["schema"]["maximum"]) == (0, 32)
    assert {"200", "400", "404"} <= set(get["responses"])
    assert "application/problem+json" in get["responses"]["400"]["content"]
    components = schema["components"]["schemas"]
    step = components["TraceStep"]["properties"]
    assert {"event_id", "leaf_index", "leaf_hash", "inclusion_proof", "consignee", "quantity"} <= set(step)
    assert "consumer_receipt" in step["relation"]["enum"]
