"""API errors as RFC 9457 problem details, and the exception handlers that render them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from stint.accounts.ports import UsernameTakenError
from stint.accounts.service import RegistrationError
from stint.protocol.errors import OAuthError
from stint.timetracking.errors import (
    ActivityHasEntriesError,
    ActivityNameTakenError,
    NotFoundError,
    StaleVersionError,
    TimerAlreadyRunningError,
    ValidationProblem,
)
from stint.web.oauth.responses import as_response, oauth_error
from stint.web.responses import ProblemResponse

__all__ = ["PROBLEM_TYPES", "ApiProblem", "exception_handlers", "field_errors"]

# Problem type URIs are relative references (RFC 9457 §3.1.1), resolved against the API's origin.
PROBLEM_TYPES = {
    "validation": "/api/problems/validation-error",
    "name-taken": "/api/problems/name-taken",
    "username-taken": "/api/problems/username-taken",
    "has-entries": "/api/problems/activity-has-entries",
    "timer-running": "/api/problems/timer-already-running",
    "stale": "/api/problems/stale-version",
    "throttled": "/api/problems/too-many-attempts",
}


class ApiProblem(Exception):
    """Raised anywhere under a request to answer with a problem document."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        kind: str | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = PROBLEM_TYPES[kind] if kind else "about:blank"
        self.extra = extra
        self.headers = headers

    def response(self) -> ProblemResponse:
        return ProblemResponse(
            self.status,
            self.title,
            detail=self.detail,
            type_=self.type,
            extra=self.extra,
            headers=self.headers,
        )


def field_errors(problems: Mapping[str, str]) -> ApiProblem:
    """A 400 naming each offending field and what is wrong with it."""
    errors = [{"field": field, "message": message} for field, message in problems.items()]
    detail = "; ".join(f"{field}: {message}" for field, message in problems.items())
    return ApiProblem(400, "Invalid request", detail, kind="validation", extra={"errors": errors})


def _domain_problem(exc: Exception) -> ApiProblem:
    match exc:
        case ValidationProblem(problems=problems) | RegistrationError(problems=problems):
            return field_errors(problems)
        case NotFoundError():
            return ApiProblem(404, "Not Found", "no such object")
        case ActivityNameTakenError():
            return ApiProblem(
                409, "Name taken", "you already have an activity with this name", kind="name-taken"
            )
        case UsernameTakenError():
            return ApiProblem(
                409, "Username taken", "this username is already registered", kind="username-taken"
            )
        case ActivityHasEntriesError(entry_count=count):
            return ApiProblem(
                409,
                "Activity has time entries",
                f"the activity has {count} time entries; delete them with ?cascade=true",
                kind="has-entries",
                extra={"entry_count": count},
            )
        case TimerAlreadyRunningError(running_entry_id=running):
            extra = {"running_entry": f"/api/time-entries/{running}"} if running else None
            return ApiProblem(
                409,
                "Timer already running",
                "stop the running time entry before starting another",
                kind="timer-running",
                extra=extra,
            )
        case StaleVersionError():
            return ApiProblem(
                412,
                "Precondition Failed",
                "the object changed since you read it; fetch it and try again",
                kind="stale",
            )
    raise exc


async def _on_api_problem(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiProblem)
    return exc.response()


async def _on_domain_error(_request: Request, exc: Exception) -> Response:
    return _domain_problem(exc).response()


async def _on_http_exception(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    from http import HTTPStatus

    title = HTTPStatus(exc.status_code).phrase
    return ProblemResponse(exc.status_code, title, headers=exc.headers)


async def _on_oauth_error(_request: Request, exc: Exception) -> Response:
    # An OAuthError leaves only an OAuth surface (the API turns its own into problems first).
    assert isinstance(exc, OAuthError)
    return as_response(oauth_error(exc))


def exception_handlers() -> dict[Any, Any]:
    domain = (
        ValidationProblem,
        RegistrationError,
        NotFoundError,
        ActivityNameTakenError,
        UsernameTakenError,
        ActivityHasEntriesError,
        TimerAlreadyRunningError,
        StaleVersionError,
    )
    handlers: dict[Any, Any] = {ApiProblem: _on_api_problem, HTTPException: _on_http_exception}
    handlers.update(dict.fromkeys(domain, _on_domain_error))
    handlers[OAuthError] = _on_oauth_error
    return handlers
