"""GET /api/openapi.json is a valid OpenAPI 3.1 document, and it is true to the API.

Structure: the document passes the OpenAPI 3.1 meta-schema, each component is a valid JSON Schema
2020-12, every ``$ref`` resolves, path parameters match their templates, operationIds are unique.
Truth: the router serves exactly the documented operations; each one answers without credentials
as its ``security`` says; the answers of a walk through every operation have documented statuses,
media types and bodies; and each body and query constraint the document states is the one the API
enforces (a 400 naming the field), while what the document allows is accepted.
"""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import jsonschema_rs
import pytest
from schemathesis.specs.openapi.definitions import OPENAPI_31
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from stint.protocol.access_tokens import AccessTokenIssuer
from stint.protocol.scopes import API_SCOPES, FIRST_PARTY_CLIENT_ID
from stint.web.api import schemas
from stint.web.features.api import API_OPERATIONS
from tests.conftest import PASSWORD, Account, problem, register

pytestmark = pytest.mark.anyio

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
REF_PREFIX = "#/components/schemas/"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Served under /api but not operations of the API: the document itself and its docs page.
NOT_OPERATIONS = re.compile(r"^/api/(openapi\.json|docs(/.*)?)$")
BODY_OPERATIONS = [(op.method, op.openapi_path) for op in API_OPERATIONS if op.body is not None]
QUERY_OPERATIONS = sorted(
    {
        (op.method, op.openapi_path)
        for op in API_OPERATIONS
        if op.query is not None or any(p.get("in") == "query" for p in op.extra_params)
    }
)
# Values every documented query parameter accepts, for the parameters an operation requires.
VALID_QUERY = {"from": "2026-03-01", "to": "2026-04-01"}
# A value of each JSON type: each one the document refuses for a field is sent for it.
WRONG_VALUES: list[object] = [{"nested": 1}, [1], "1", 1, 1.5, True]


# The document and its schemas


@pytest.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path template, operation object) for each operation in the document."""
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield method.upper(), path, item[method]


def operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    found: dict[str, Any] = document["paths"][path][method.lower()]
    return found


def validator(document: dict[str, Any], schema: dict[str, Any]) -> jsonschema_rs.Validator:
    """A validator of ``schema`` that resolves ``#/components/...`` within the document."""
    root = {"$schema": DRAFT_2020_12, **schema, "components": document["components"]}
    return jsonschema_rs.validator_for(root, validate_formats=True)


def body_schema(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    """The resolved component schema of an operation's application/json request body."""
    request_body = operation(document, method, path)["requestBody"]
    ref: str = request_body["content"]["application/json"]["schema"]["$ref"]
    assert ref.startswith(REF_PREFIX), ref
    schema: dict[str, Any] = document["components"]["schemas"][ref.removeprefix(REF_PREFIX)]
    return schema


def refs(node: object, where: str = "#") -> Iterator[tuple[str, str]]:
    """(location, $ref) for every reference in a JSON value."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield where, value
            else:
                yield from refs(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from refs(value, f"{where}/{index}")


def resolve(document: dict[str, Any], ref: str) -> object:
    """A local JSON pointer (RFC 6901) into the document; KeyError or IndexError if it dangles."""
    assert ref.startswith("#/"), f"not a local reference: {ref}"
    node: Any = document
    for token in ref[2:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def errors_of(check: jsonschema_rs.Validator, instance: object) -> list[str]:
    found = check.iter_errors(instance)
    return [f"/{'/'.join(map(str, e.instance_path))}: {e.message}" for e in found]


async def test_document_is_served_for_this_server(
    client: httpx.AsyncClient, document: dict[str, Any]
) -> None:
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "http://testserver"}]
    assert document["info"]["title"] == "Stint API"
    # Fetched twice, it is the same document: built once, not per request.
    assert (await client.get("/api/openapi.json")).json() == document


async def test_document_passes_the_openapi_3_1_meta_schema(document: dict[str, Any]) -> None:
    meta = jsonschema_rs.Draft202012Validator(OPENAPI_31, validate_formats=True)
    assert errors_of(meta, document) == []


def test_meta_schema_check_catches_broken_documents() -> None:
    """The check above can fail: each of these breakages of a valid document is reported."""
    from stint.web.api.openapi import openapi_document

    meta = jsonschema_rs.Draft202012Validator(OPENAPI_31, validate_formats=True)
    good = openapi_document(API_OPERATIONS, server_url="http://testserver")
    assert meta.is_valid(good)
    breakages: list[Callable[[dict[str, Any]], object]] = [
        lambda d: d.update(openapi="3.0.3"),
        lambda d: d["paths"]["/api/me"]["get"]["responses"]["200"].pop("description"),
        lambda d: d["paths"]["/api/activities/{id}"]["get"]["parameters"][0].update(required=False),
        lambda d: d["paths"]["/api/me"]["get"].update(responses=[]),
        lambda d: d["paths"].update({"api/no-slash": {}}),
    ]
    for breakage in breakages:
        broken = copy.deepcopy(good)
        breakage(broken)
        assert not meta.is_valid(broken)


async def test_component_schemas_are_json_schema_2020_12(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    assert {"Problem", "ActivityOut", "TimeEntryIn"} <= set(components)
    for name, schema in components.items():
        jsonschema_rs.meta.validate({"$schema": DRAFT_2020_12, **schema})
        validator(document, schema)  # compiles: its references resolve
        assert schema.get("title") == name


async def test_every_ref_resolves(document: dict[str, Any]) -> None:
    found = list(refs(document))
    assert len(found) > 50  # request bodies, responses, problems, nested models
    dangling = []
    for where, ref in found:
        try:
            target = resolve(document, ref)
        except (KeyError, IndexError, ValueError):
            dangling.append(f"{where}: {ref}")
            continue
        assert isinstance(target, dict), f"{where}: {ref} is not a schema"
    assert dangling == []


async def test_every_component_schema_is_used(document: dict[str, Any]) -> None:
    used = {ref.removeprefix(REF_PREFIX) for _, ref in refs(document["paths"])}
    # ...directly by an operation, or by a schema an operation uses.
    pending = list(used)
    while pending:
        name = pending.pop()
        for _, ref in refs(document["components"]["schemas"][name]):
            nested = ref.removeprefix(REF_PREFIX)
            if nested not in used:
                used.add(nested)
                pending.append(nested)
    assert used == set(document["components"]["schemas"])


async def test_path_parameters_match_path_templates(document: dict[str, Any]) -> None:
    templated = 0
    for method, path, op in operations(document):
        assert path.startswith("/api/"), path
        assert ":" not in path, f"{path}: a router converter leaked into the document"
        names = re.findall(r"\{([^{}]+)\}", path)
        assert len(names) == len(set(names)), path
        params = op.get("parameters", [])
        keys = [(p["in"], p["name"]) for p in params]
        assert len(keys) == len(set(keys)), f"{method} {path}: a parameter is listed twice"
        in_path = [p for p in params if p["in"] == "path"]
        assert sorted(p["name"] for p in in_path) == sorted(names), f"{method} {path}"
        for param in in_path:
            assert param["required"] is True
            assert param["schema"]["type"] == "integer"
        templated += bool(names)
    assert templated >= 9


async def test_operation_ids_are_unique(document: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert all(isinstance(i, str) and re.fullmatch(r"[A-Za-z0-9_]+", i) for i in ids)
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert duplicates == []
    assert len(ids) == len(API_OPERATIONS)


async def test_responses_are_well_formed(document: dict[str, Any]) -> None:
    schemes = set(document["components"]["securitySchemes"])
    for method, path, op in operations(document):
        where = f"{method} {path}"
        responses = op["responses"]
        assert any(code.startswith("2") for code in responses), where
        for code, response in responses.items():
            assert re.fullmatch(r"[1-5][0-9][0-9]", code), where
            if code in ("204", "304"):
                assert "content" not in response, f"{where} {code} has no body"
            elif int(code) >= 400:
                assert response["content"] == {
                    "application/problem+json": {"schema": {"$ref": f"{REF_PREFIX}Problem"}}
                }, f"{where} {code}"
        for requirement in op["security"]:
            assert set(requirement) <= schemes, where
        if op["security"]:
            assert {"401", "429"} <= set(responses), where
        # A scope named in the security requirement is one a token can lack: 403.
        scoped = any(roles for requirement in op["security"] for roles in requirement.values())
        assert scoped == ("403" in responses), where
        if "requestBody" in op:
            assert {"400", "413", "415"} <= set(responses), where


# The router and the document


def router_operations(app: Starlette) -> set[tuple[str, str]]:
    """(METHOD, OpenAPI path) for each route the app serves under /api, except the docs."""
    served = set()
    for route in app.routes:
        if isinstance(route, Mount):
            assert route.path.startswith("/api/docs") or not route.path.startswith("/api")
            continue
        assert isinstance(route, Route), route
        if not route.path.startswith("/api/") or NOT_OPERATIONS.match(route.path):
            continue
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        methods = set(route.methods or ())
        if "HEAD" in methods:
            # Starlette answers HEAD wherever it answers GET; HTTP implies it (RFC 9110 §9.3.2).
            assert "GET" in methods
            methods.discard("HEAD")
        served |= {(method, path) for method in methods}
    return served


async def test_router_serves_exactly_the_documented_operations(
    app: Starlette, document: dict[str, Any]
) -> None:
    served = router_operations(app)
    documented = {(method, path) for method, path, _ in operations(document)}
    assert len(documented) == 22
    assert sorted(served - documented) == [], "served but not documented"
    assert sorted(documented - served) == [], "documented but not served"


def concrete(path: str, ids: dict[str, int]) -> str:
    """A documented path with its parameters filled in from ``ids``, by collection."""
    collection = path.split("/")[2]
    return re.sub(r"\{(\w+)\}", lambda m: str(ids.get(collection, ids["*"])), path)


async def test_security_is_what_the_document_says(
    client: httpx.AsyncClient, document: dict[str, Any], alice: Account
) -> None:
    """Secured operations refuse a caller without credentials; the others answer anyone."""
    ids = {"users": alice.id, "*": 2**31 - 1}
    for method, path, op in operations(document):
        response = await client.request(method, concrete(path, ids))
        where = f"{method} {path}"
        assert str(response.status_code) in op["responses"], where
        if op["security"]:
            problem(response, 401)
            challenge = response.headers["www-authenticate"]
            # Both documented schemes are offered (RFC 9110 §11.6.1).
            assert "Basic realm=" in challenge and "Bearer realm=" in challenge, where
        else:
            assert response.status_code != 401, where


async def test_a_token_without_the_documented_scope_is_refused_before_anything_else(
    client: httpx.AsyncClient, app: Starlette, document: dict[str, Any], alice: Account
) -> None:
    """RFC 6750 §3.1: each operation needs the scope its security requirement names."""
    keys = app.state.runtime.keys
    issuer = AccessTokenIssuer(
        keys, issuer="http://testserver", audience="http://testserver/api", ttl=60
    )
    ids = {"users": alice.id, "*": 2**31 - 1}
    scoped = 0
    for method, path, op in operations(document):
        roles = [
            role for requirement in op["security"] for role in requirement.get("bearerAuth", [])
        ]
        if not roles:
            continue
        scoped += 1
        (scope,) = roles
        token = issuer.issue(
            subject=str(alice.id),
            username="alice",
            client_id=FIRST_PARTY_CLIENT_ID,
            scopes=API_SCOPES - {scope},
            grant_id=None,
        ).value
        headers = {"Authorization": f"Bearer {token}"}
        response = await client.request(method, concrete(path, ids), headers=headers)
        problem(response, 403)
        challenge = response.headers["www-authenticate"]
        assert 'error="insufficient_scope"' in challenge and f'scope="{scope}"' in challenge
    assert scoped == 17


# What the API answers, against what the document says it answers


class Walk:
    """Sends requests, checking each answer against the operation's documented responses."""

    def __init__(self, client: httpx.AsyncClient, document: dict[str, Any]) -> None:
        self.client = client
        self.document = document
        self.seen: dict[tuple[str, str], set[int]] = {}
        self._validators: dict[str, jsonschema_rs.Validator] = {}

    async def __call__(
        self, status: int, method: str, path: str, concrete_path: str, **kwargs: Any
    ) -> httpx.Response:
        """``method`` on ``concrete_path`` (an instance of ``path``), answered with ``status``."""
        response = await self.client.request(method, concrete_path, **kwargs)
        assert response.status_code == status, f"{method} {concrete_path}: {response.text}"
        self.check(method, path, response)
        return response

    def check(self, method: str, path: str, response: httpx.Response) -> None:
        where = f"{method} {path} -> {response.status_code} {response.text[:200]}"
        responses = operation(self.document, method, path)["responses"]
        documented = responses.get(str(response.status_code))
        assert documented is not None, f"undocumented status: {where}"
        self.seen.setdefault((method, path), set()).add(response.status_code)
        content: dict[str, Any] | None = documented.get("content")
        if content is None:
            assert response.content == b"", where
            return
        media_type = response.headers["content-type"].split(";")[0].strip()
        assert media_type in content, f"undocumented media type {media_type}: {where}"
        schema = content[media_type].get("schema")
        if schema is None or "json" not in media_type:
            assert schema in (None, {"type": "string"}), where
            return
        key = repr(schema)
        if key not in self._validators:
            self._validators[key] = validator(self.document, schema)
        errors = errors_of(self._validators[key], response.json())
        assert errors == [], f"body does not match the documented schema: {where}: {errors}"


async def test_every_answer_matches_the_document(
    client: httpx.AsyncClient, document: dict[str, Any], alice: Account
) -> None:
    """Each operation, to success and to its usual refusals; each answer's status is expected."""
    walk = Walk(client, document)
    auth = alice.bearer
    await walk(200, "GET", "/api/resource", "/api/resource", headers=auth)
    await walk(200, "GET", "/api/me", "/api/me", headers=auth)
    await walk(200, "GET", "/api/time", "/api/time", headers=auth)
    await walk(200, "GET", "/api/token", "/api/token", headers=alice.basic)
    await walk(401, "GET", "/api/token", "/api/token", headers=auth)  # a token cannot renew
    user = {"username": "carol", "password": PASSWORD}
    await walk(201, "POST", "/api/users", "/api/users", json=user)
    await walk(409, "POST", "/api/users", "/api/users", json=user)
    await walk(400, "POST", "/api/users", "/api/users", json={"username": "x"})
    await walk(415, "POST", "/api/users", "/api/users", content=b"{}")
    await walk(200, "GET", "/api/users/{user_id}", f"/api/users/{alice.id}", headers=auth)
    await walk(404, "GET", "/api/users/{user_id}", "/api/users/2147483647", headers=auth)
    await walk(401, "GET", "/api/users/{user_id}", f"/api/users/{alice.id}")

    activities, activity = "/api/activities", "/api/activities/{id}"
    created = await walk(201, "POST", activities, activities, json={"name": "Work"}, headers=auth)
    work = created.json()["id"]
    item = f"/api/activities/{work}"
    await walk(409, "POST", activities, activities, json={"name": "Work"}, headers=auth)
    other = {"name": "Study", "colour": "#AABBCC", "description": "books"}
    await walk(201, "POST", activities, activities, json=other, headers=auth)
    html = {**auth, "Accept": "text/html"}
    await walk(406, "POST", activities, activities, json={"name": "Sport"}, headers=html)
    page = await walk(200, "GET", activities, activities + "?limit=1", headers=auth)
    assert page.json()["next"] is not None
    await walk(200, "GET", activities, page.json()["next"], headers=auth)
    await walk(400, "GET", activities, activities + "?limit=0", headers=auth)
    await walk(200, "GET", activities, activities, headers={**auth, "Accept": "text/csv"})
    await walk(406, "GET", activities, activities, headers=html)
    unchanged = {**auth, "If-None-Match": page.headers["etag"]}
    await walk(304, "GET", activities, activities + "?limit=1", headers=unchanged)
    read = await walk(200, "GET", activity, item, headers={**auth, "Accept": "application/json"})
    await walk(304, "GET", activity, item, headers={**auth, "If-None-Match": read.headers["etag"]})
    await walk(404, "GET", activity, "/api/activities/2147483647", headers=auth)
    await walk(406, "GET", activity, item, headers=html)
    await walk(200, "PUT", activity, item, json={"name": "Work", "archived": True}, headers=auth)
    stale = {**auth, "If-Match": read.headers["etag"]}  # from before the PUT
    await walk(412, "PUT", activity, item, json={"name": "Work"}, headers=stale)
    await walk(200, "PATCH", activity, item, json={"description": "paid"}, headers=auth)
    await walk(409, "PATCH", activity, item, json={"name": "Study"}, headers=auth)
    await walk(415, "PATCH", activity, item, content=b"{}", headers=auth)
    await walk(400, "PATCH", activity, item, json={"colour": "blue"}, headers=auth)

    entries, entry = "/api/time-entries", "/api/time-entries/{id}"
    span = {"activity": work, "start": "2026-03-02T09:00:00+01:00", "end": "2026-03-02T10:30Z"}
    made = await walk(201, "POST", entries, entries, json=span, headers=auth)
    unknown = {**span, "activity": 2**31 - 1}
    await walk(400, "POST", entries, entries, json=unknown, headers=auth)
    one = f"/api/time-entries/{made.json()['id']}"
    timer = "/api/timer/start"
    started = await walk(201, "POST", timer, timer, json={"activity": work}, headers=auth)
    await walk(409, "POST", timer, timer, json={"activity": work}, headers=auth)
    running = f"/api/time-entries/{started.json()['id']}"
    await walk(200, "GET", entries, entries + "?from=2026-03-01&to=2026-03-03", headers=auth)
    await walk(200, "GET", entries, entries + "?ordering=start&limit=1", headers=auth)
    await walk(200, "GET", entries, entries, headers={**auth, "Accept": "text/csv"})
    await walk(400, "GET", entries, entries + "?to=2026-01-01&from=2026-02-01", headers=auth)
    read = await walk(200, "GET", entry, running, headers=auth)
    await walk(304, "GET", entry, running, headers={**auth, "If-None-Match": read.headers["etag"]})
    await walk(200, "PUT", entry, one, json={**span, "note": "standup"}, headers=auth)
    await walk(400, "PATCH", entry, one, json={"end": "2026-03-02T08:00Z"}, headers=auth)
    await walk(200, "PATCH", entry, one, json={"note": "planning"}, headers=auth)
    never = {**auth, "If-Match": '"v999"'}
    await walk(412, "POST", entry + "/stop", running + "/stop", headers=never)
    await walk(200, "POST", entry + "/stop", running + "/stop", headers=auth)
    await walk(404, "POST", entry + "/stop", "/api/time-entries/2147483647/stop", headers=auth)

    summary = "/api/reports/summary"
    for group_by in ("activity", "day", "week"):
        query = f"?from=2026-03-01&to=2026-04-01&group_by={group_by}&tz=Europe/Paris"
        await walk(200, "GET", summary, summary + query, headers=auth)
    mars = "?from=2026-03-01&to=2026-04-01&tz=Mars/Olympus"
    await walk(400, "GET", summary, summary + mars, headers=auth)
    await walk(400, "GET", summary, summary, headers=auth)  # from and to are required

    await walk(412, "DELETE", entry, one, headers=stale)
    await walk(204, "DELETE", entry, one, headers=auth)
    await walk(404, "DELETE", entry, one, headers=auth)
    await walk(409, "DELETE", activity, item, headers=auth)  # the stopped timer's entry is on it
    await walk(204, "DELETE", activity, item + "?cascade=true", headers=auth)

    await walk(204, "DELETE", "/api/token", "/api/token", headers=auth)
    await walk(401, "DELETE", "/api/token", "/api/token", headers=auth)  # revoked just now
    await walk(204, "DELETE", "/api/token", "/api/token", headers=alice.basic)

    documented = {(method, path) for method, path, _ in operations(document)}
    assert set(walk.seen) == documented, "each operation is walked"


# Request bodies: the documented schema is the model that validates them


@pytest.fixture
async def ids(client: httpx.AsyncClient, alice: Account) -> dict[str, int]:
    """An activity and a stopped time entry of Alice's, to aim PUT and PATCH at."""
    activity = await client.post("/api/activities", json={"name": "Work"}, headers=alice.bearer)
    assert activity.status_code == 201, activity.text
    span = {
        "activity": activity.json()["id"],
        "start": "2026-03-02T09:00:00Z",
        "end": "2026-03-02T10:00:00Z",
    }
    entry = await client.post("/api/time-entries", json=span, headers=alice.bearer)
    assert entry.status_code == 201, entry.text
    return {
        "activities": activity.json()["id"],
        "time-entries": entry.json()["id"],
        "users": alice.id,
        "*": 1,
    }


def valid_body(schema_name: str, ids: dict[str, int]) -> dict[str, object]:
    """A body each request schema accepts and the API carries out, with every field set."""
    activity = ids["activities"]
    bodies: dict[str, dict[str, object]] = {
        "UserCreate": {"username": "dora", "password": PASSWORD},
        "ActivityIn": {"name": "Sport", "description": "", "colour": None, "archived": False},
        "ActivityPatch": {
            "name": "Sport",
            "description": "x",
            "colour": "#00ff00",
            "archived": True,
        },
        "TimeEntryIn": {
            "activity": activity,
            "start": "2026-03-03T09:00:00+01:00",
            "end": None,
            "note": "n",
        },
        "TimeEntryPatch": {
            "activity": activity,
            "start": "2026-03-02T08:00:00Z",
            "end": "2026-03-02T11:00:00Z",
            "note": "n",
        },
        "TimerStart": {"activity": activity, "note": "n"},
    }
    return bodies[schema_name]


async def send(
    client: httpx.AsyncClient, method: str, path: str, body: object, alice: Account
) -> httpx.Response:
    return await client.request(method, path, json=body, headers=alice.bearer)


def error_fields(response: httpx.Response) -> set[str]:
    body = problem(response, 400)
    assert body["type"] == "/api/problems/validation-error"
    return {error["field"] for error in body["errors"]}


@pytest.mark.parametrize(("method", "path"), BODY_OPERATIONS)
async def test_request_body_schema_is_the_validating_model(
    client: httpx.AsyncClient,
    document: dict[str, Any],
    alice: Account,
    ids: dict[str, int],
    method: str,
    path: str,
) -> None:
    schema = body_schema(document, method, path)
    model = getattr(schemas, schema["title"])
    assert schema == {
        k: v
        for k, v in model.model_json_schema(ref_template=REF_PREFIX + "{model}").items()
        if k != "$defs"
    }
    body = valid_body(schema["title"], ids)
    check = validator(document, schema)
    assert set(body) == set(schema["properties"]), "the example sets every documented field"
    assert check.is_valid(body)

    # A field the schema does not know: the schema forbids it, the API refuses it by name.
    unknown = {**body, "unexpected_field": 1}
    assert schema["additionalProperties"] is False and not check.is_valid(unknown)
    refused = await send(client, method, concrete(path, ids), unknown, alice)
    assert error_fields(refused) == {"unexpected_field"}
    assert "Extra inputs are not permitted" in refused.text

    # Each documented field, given a value of a type the schema forbids, is refused by name.
    for field in schema["properties"]:
        wrong = [v for v in WRONG_VALUES if not check.is_valid({**body, field: v})]
        assert len(wrong) >= 4, field
        for value in wrong:
            refused = await send(client, method, concrete(path, ids), {**body, field: value}, alice)
            assert error_fields(refused) == {field}, f"{field}={value!r}"

    # Null is refused where the schema does not allow it, and carried out where it does.
    success = int(next(c for c in operation(document, method, path)["responses"] if c < "300"))
    for field in schema["properties"]:
        if body[field] is None:
            continue
        answer = await send(client, method, concrete(path, ids), {**body, field: None}, alice)
        if check.is_valid({**body, field: None}):
            assert answer.status_code == success, f"{field}=null: {answer.text}"
        else:
            assert error_fields(answer) == {field}, f"{field}=null"

    # An empty object lacks exactly the documented required fields.
    required = set(schema.get("required", []))
    empty = await send(client, method, concrete(path, ids), {}, alice)
    if required:
        assert not check.is_valid({})
        assert error_fields(empty) == required
    else:
        assert check.is_valid({})
        assert empty.status_code == 200, empty.text

    # And the valid body, unchanged, is carried out.
    accepted = await send(client, method, concrete(path, ids), body, alice)
    assert accepted.status_code == success, accepted.text


async def test_every_request_body_and_query_is_checked(document: dict[str, Any]) -> None:
    with_body = {(m, p) for m, p, op in operations(document) if "requestBody" in op}
    assert with_body == set(BODY_OPERATIONS)
    assert len(with_body) == 8
    with_query = {
        (m, p)
        for m, p, op in operations(document)
        if any(param["in"] == "query" for param in op["parameters"])
    }
    assert with_query == set(QUERY_OPERATIONS)
    assert len(with_query) == 4


# Query parameters: each documented constraint is enforced, and the documented range accepted


def branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The alternatives of a schema, nested anyOf flattened, null left out (a query has none)."""
    if "anyOf" not in schema:
        return [] if schema.get("type") == "null" else [schema]
    return [leaf for branch in schema["anyOf"] for leaf in branches(branch)]


def query_violations(schema: dict[str, Any]) -> list[tuple[object, str]]:
    """Values of a query parameter's schema that break it, with what each breaks."""
    leaves = branches(schema)
    types = {leaf["type"] for leaf in leaves}
    found: list[tuple[object, str]] = []
    if len(leaves) == 1 and "enum" in leaves[0]:
        found.append(("not-an-option", "enum"))
    if types in ({"integer"}, {"boolean"}):
        found += [("abc", "type"), ("1.5", "type")]
    if types == {"integer"}:
        (leaf,) = leaves
        found += [(leaf["maximum"] + 1, "maximum"), (leaf["minimum"] - 1, "minimum")]
    if len(leaves) == 1 and "maxLength" in leaves[0]:
        found.append(("x" * (leaves[0]["maxLength"] + 1), "maxLength"))
    if {leaf.get("format") for leaf in leaves} & {"date", "date-time"}:
        found += [("2026-13-01", "format"), ("yesterday", "format"), ("1700000000", "format")]
    return found


def query_extremes(schema: dict[str, Any]) -> list[object]:
    """Values at the edges of what a query parameter's schema allows."""
    found: list[object] = []
    for leaf in branches(schema):
        found += leaf.get("enum", [])
        if leaf["type"] == "integer":
            found += [leaf["minimum"], leaf["maximum"]]
        if leaf["type"] == "boolean":
            found += ["true", "false"]
        if leaf.get("format") == "date-time":
            found += ["2026-03-02T09:00:00Z", "2026-03-02T09:00:00.250-05:30"]
    return found


@pytest.mark.parametrize(("method", "path"), QUERY_OPERATIONS)
async def test_query_constraints_are_enforced(
    client: httpx.AsyncClient,
    document: dict[str, Any],
    alice: Account,
    ids: dict[str, int],
    method: str,
    path: str,
) -> None:
    params = [p for p in operation(document, method, path)["parameters"] if p["in"] == "query"]
    required = {p["name"]: VALID_QUERY[p["name"]] for p in params if p["required"]}
    # DELETE aims at no object: the refusals come first, and the rest is a 404, not a deletion.
    url = concrete(path, {**ids, "activities": 2**31 - 1} if method == "DELETE" else ids)

    async def call(query: dict[str, Any]) -> httpx.Response:
        return await client.request(method, url, params=query, headers=alice.bearer)

    baseline = await call(required)
    assert baseline.status_code in (200, 404), baseline.text
    for name in required:
        missing = {k: v for k, v in required.items() if k != name}
        assert error_fields(await call(missing)) == {name}, f"without {name}"
    checked = 0
    for param in params:
        name = param["name"]
        for value, rule in query_violations(param["schema"]):
            response = await call({**required, name: value})
            assert error_fields(response) == {name}, f"{name}={value!r} breaks {rule}"
            checked += 1
        for value in query_extremes(param["schema"]):
            response = await call({**required, name: value})
            assert response.status_code == baseline.status_code, f"{name}={value!r}"
    assert checked >= 2


# Error answers name what the document says they name


async def test_a_refused_body_is_described_by_the_problem_schema(
    client: httpx.AsyncClient, document: dict[str, Any], alice: Account
) -> None:
    response = await client.post(
        "/api/activities", json={"name": "", "colour": "red", "bogus": 1}, headers=alice.bearer
    )
    body = problem(response, 400)
    assert validator(document, {"$ref": f"{REF_PREFIX}Problem"}).is_valid(body)
    assert error_fields(response) == {"name", "colour", "bogus"}


async def test_a_new_user_can_use_what_the_document_lists(
    client: httpx.AsyncClient, document: dict[str, Any]
) -> None:
    """The document's own example values make a working request (Swagger UI pre-fills them)."""
    account = await register(client, "erin")
    colour = document["components"]["schemas"]["ActivityIn"]["properties"]["colour"]
    example = next(b["examples"][0] for b in colour["anyOf"] if "examples" in b)
    response = await client.post(
        "/api/activities", json={"name": "Art", "colour": example}, headers=account.bearer
    )
    assert response.status_code == 201, response.text
    assert response.json()["colour"] == example


async def test_odd_credentials_get_the_documented_401(
    client: httpx.AsyncClient, document: dict[str, Any], alice: Account
) -> None:
    """Whatever a client sends as credentials, the answer is a 401, never a 500.

    PostgreSQL cannot even bind a text holding NUL, so a lookup by such a username or client id
    failed there with a 500 before anything could say "no such user".
    """
    assert "401" in operation(document, "GET", "/api/me")["responses"]

    def basic(raw: bytes) -> str:
        return "Basic " + base64.b64encode(raw).decode()

    for header in (
        basic(b"alice\x00:" + PASSWORD.encode()),
        basic(b"\x00:x"),
        basic(b"alic\xc3\xa9:x"),
        basic(b"\xff\xfe:x"),
        basic(b"a" * 5000 + b":x"),
        basic(b"no-colon"),
        "Basic !!!",
        "Bearer a.b.c",
        "Bearer " + "x\x00" * 20,
        "Bearer",
        "Digest username=alice",
    ):
        response = await client.get("/api/me", headers={"Authorization": header})
        problem(response, 401)
    # The same lookups behind the OAuth endpoints: a client id with NUL names no client.
    token = await client.post(
        "/o/token/",
        data={"grant_type": "client_credentials", "client_id": "app\x00", "client_secret": "x"},
    )
    assert token.status_code == 401, token.text
    assert token.json()["error"] == "invalid_client"
