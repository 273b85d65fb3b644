"""The time-tracking REST API (/api), its OpenAPI 3.1 document and its interactive docs.

It reads no settings: every value it needs comes from the core.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from stint.protocol.first_party import FirstPartyTokens
from stint.protocol.scopes import API_SCOPES
from stint.settings import Settings
from stint.storage.activity_store import SqlActivityStore
from stint.storage.time_entry_store import SqlTimeEntryStore
from stint.timetracking.service import TimeTracking
from stint.web.api import accounts, activities, reports, time_entries
from stint.web.api.context import Services
from stint.web.api.docs import docs_routes
from stint.web.api.openapi import openapi_document
from stint.web.api.operations import Operation, starlette_routes
from stint.web.core import Core
from stint.web.features import Feature
from stint.web.responses import JSONResponse

__all__ = ["API_OPERATIONS", "feature"]

API_OPERATIONS: list[Operation[Any]] = [
    *accounts.OPERATIONS,
    *activities.OPERATIONS,
    *time_entries.OPERATIONS,
    *reports.OPERATIONS,
]
# Starlette matches routes one by one: the most requested reads go first.
_HOT_FIRST = ("/api/resource", "/api/activities", "/api/time-entries")


def _routing_order(operation: Operation[Any]) -> int:
    hot = operation.method == "GET" and operation.path in _HOT_FIRST
    return _HOT_FIRST.index(operation.path) if hot else len(_HOT_FIRST)


def feature(core: Core, _settings: Settings) -> Feature:
    services = Services(
        accounts=core.accounts,
        authenticate=core.authenticate,
        first_party=FirstPartyTokens(core.access_tokens, core.oauth.grants, core.revocation),
        timetracking=TimeTracking(SqlActivityStore(core.db), SqlTimeEntryStore(core.db)),
    )
    document = openapi_document(API_OPERATIONS, server_url=core.issuer)

    async def openapi_json(_request: Request) -> Response:
        return JSONResponse(document)

    return Feature(
        routes=[
            *starlette_routes(sorted(API_OPERATIONS, key=_routing_order), services.authenticate),
            Route("/api/openapi.json", openapi_json, methods=["GET"]),
            *docs_routes(),
        ],
        metadata={
            # RFC 8414 §2: the scopes a client may ask for are the API's.
            "scopes_supported": sorted(API_SCOPES),
            "service_documentation": f"{core.issuer}/api/docs",
        },
        state={"services": services},  # what the API's handlers reach (web.api.context)
    )
