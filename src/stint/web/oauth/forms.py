"""Reading OAuth requests: form bodies and query strings where no parameter may repeat."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import unquote_plus

from stint.protocol.client_auth import ClientCredentials, from_basic_header
from stint.protocol.errors import InvalidRequestError
from stint.protocol.messages import EndpointRequest

__all__ = ["endpoint_request", "form_pairs", "single_valued"]

FORM = "application/x-www-form-urlencoded"


def form_pairs(text: str) -> list[tuple[str, str]]:
    """``parse_qsl(text, keep_blank_values=True)``, but a name or value with nothing escaped is
    taken as it is: most are, and urllib unquotes each through several calls (token endpoint)."""
    pairs = []
    for field in text.split("&"):
        if not field:
            continue
        name, _, value = field.partition("=")
        if "%" in name or "+" in name:
            name = unquote_plus(name)
        if "%" in value or "+" in value:
            value = unquote_plus(value)
        pairs.append((name, value))
    return pairs


def single_valued(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """RFC 6749 §3.1, §3.2: parameters sent without a value are omitted; none may repeat."""
    params: dict[str, str] = {}
    for name, value in pairs:
        if value == "":
            continue
        if name in params:
            raise InvalidRequestError(f"the parameter {name} is repeated")
        params[name] = value
    return params


def endpoint_request(
    content_type: str, authorization: str | None, body: bytes, client_ip: str
) -> EndpointRequest:
    """The token, revocation and introspection endpoints take POSTed forms only (§3.2)."""
    if content_type.split(";", 1)[0].strip().lower() != FORM:
        raise InvalidRequestError(f"send the parameters as {FORM}")
    try:
        pairs = form_pairs(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidRequestError("the body is not UTF-8") from None
    params: Mapping[str, str] = single_valued(pairs)
    credentials = ClientCredentials(
        basic=from_basic_header(authorization),
        form_client_id=params.get("client_id"),
        form_secret=params.get("client_secret"),
    )
    return EndpointRequest(params=params, credentials=credentials, client_ip=client_ip)
