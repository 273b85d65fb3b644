"""The OpenAPI 3.1 document, generated from the operation table and its pydantic models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from stint import __version__
from stint.web.api.operations import Operation
from stint.web.api.schemas import Problem

__all__ = ["openapi_document"]

_REF = "#/components/schemas/{model}"
_STANDARD_ERRORS = {
    400: "The request is malformed; `errors` names each bad field",
    401: "Authentication is missing or wrong",
    403: "The access token lacks the scope this operation needs",
    404: "No such object among yours",
    406: "None of the representations in Accept is available",
    409: "The request conflicts with the current state",
    412: "If-Match names a version that is no longer current",
    413: "The body is too large",
    415: "The body is not application/json",
    429: "Too many failed sign-ins",
}


def openapi_document(operations: list[Operation[Any]], *, server_url: str) -> dict[str, Any]:
    models: set[type[BaseModel]] = {Problem}
    for op in operations:
        models.update(m for m in (op.body, op.response) if m is not None)
    _, schemas = models_json_schema(
        [(m, "validation") for m in sorted(models, key=lambda m: m.__name__)],
        ref_template=_REF,
    )
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.openapi_path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Stint API",
            "version": __version__,
            "description": "Track time on activities. Authenticate with HTTP Basic, or with a "
            "Bearer token from GET /api/token or from the OAuth 2.0 authorization server.",
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {
                "basicAuth": {"type": "http", "scheme": "basic"},
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
        },
    }


def _operation(op: Operation[Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": f"{op.method.lower()}_{op.endpoint.__name__}",
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": _parameters(op),
        "responses": _responses(op),
    }
    # OpenAPI 3.1 §4.8.30: for an http scheme the list holds roles: here the token's scope.
    roles = [op.scope] if op.scope is not None else []
    operation["security"] = [
        {scheme: roles if scheme == "bearerAuth" else []} for scheme in op.caller.schemes
    ]
    if op.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": _REF.format(model=op.body.__name__)}}
            },
        }
    return operation


def _parameters(op: Operation[Any]) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
        }
        for name in op.path_params
    ]
    if op.query is not None:
        schema = op.query.model_json_schema(by_alias=True, ref_template=_REF)
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            prop = dict(prop)
            description = prop.pop("description", None)
            prop.pop("title", None)
            param = {"name": name, "in": "query", "required": name in required, "schema": prop}
            if description:
                param["description"] = description
            params.append(param)
    params.extend(dict(p) for p in op.extra_params)
    if op.conditional:
        header = "If-None-Match" if op.method == "GET" else "If-Match"
        params.append(
            {"name": header, "in": "header", "required": False, "schema": {"type": "string"}}
        )
    return params


def _responses(op: Operation[Any]) -> dict[str, Any]:
    success: dict[str, Any] = {"description": "Success"}
    if op.response is not None:
        content = {
            "application/json": {"schema": {"$ref": _REF.format(model=op.response.__name__)}}
        }
        if op.csv:
            content["text/csv"] = {"schema": {"type": "string"}}
        success["content"] = content
    if op.conditional and op.method == "GET":
        success["headers"] = {"ETag": {"schema": {"type": "string"}}}
    responses: dict[str, Any] = {str(op.status): success}
    problem = {"application/problem+json": {"schema": {"$ref": _REF.format(model="Problem")}}}
    # What every operation of its kind can answer, whatever its own list says: a failed sign-in
    # (HTTP Basic is throttled: 429), a query or body that does not validate (400), a body
    # limit that applies to every method that may carry one (413), a body that is not JSON (415).
    statuses = set(op.errors) | ({401, 429} if op.secured else set())
    if op.scope is not None:
        statuses.add(403)
    if op.query is not None or op.body is not None:
        statuses.add(400)
    if op.body is not None:
        statuses.add(415)
    if op.method not in ("GET", "HEAD", "OPTIONS"):
        statuses.add(413)
    if op.response is not None:
        statuses.add(406)
    if op.conditional and op.method == "GET":
        responses["304"] = {"description": "Your copy is current"}
    for status in sorted(statuses):
        responses[str(status)] = {"description": _STANDARD_ERRORS[status], "content": problem}
    return responses
