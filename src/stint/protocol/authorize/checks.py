"""The authorization request's checks, as an ordered table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from stint.protocol import pkce
from stint.protocol.authorize.request import (
    AuthorizationRequest,
    AuthorizationRequestError,
    RedirectTarget,
)
from stint.protocol.clients import Client
from stint.protocol.errors import (
    InvalidRedirectUriError,
    InvalidRequestError,
    OAuthError,
    UnauthorizedClientError,
    UnsupportedResponseTypeError,
)
from stint.protocol.ports import ClientStore
from stint.protocol.scopes import granted_scopes

__all__ = ["CHECKS", "AuthorizePolicy", "validate"]

# response_type → the grant a client must have for it.
RESPONSE_TYPES = {"code": "authorization_code", "token": "implicit"}


@dataclass(frozen=True, slots=True)
class AuthorizePolicy:
    require_pkce: bool = True  # PKCE for every client, not only public ones (RFC 9700 §2.1.1)
    allow_plain_pkce: bool = False
    implicit_enabled: bool = False


@dataclass
class _State:
    params: Mapping[str, str]
    clients: ClientStore
    policy: AuthorizePolicy
    client: Client | None = None
    target: RedirectTarget | None = None
    redirect_uri_param: str | None = None
    response_type: str = ""
    scopes: frozenset[str] = field(default_factory=frozenset)
    challenge_method: str | None = None


Check = Callable[[_State], Awaitable[None]]


async def known_client(state: _State) -> None:
    client_id = state.params.get("client_id")
    if not client_id:
        raise InvalidRedirectUriError("client_id is required")
    client = await state.clients.get(client_id) if len(client_id) <= 200 else None
    if client is None:
        raise InvalidRedirectUriError("unknown client_id")
    state.client = client


async def registered_redirect_uri(state: _State) -> None:
    assert state.client is not None
    uri = state.params.get("redirect_uri")
    if uri is None:
        # §3.1.2.3: may be omitted only when exactly one URI is registered.
        if len(state.client.redirect_uris) != 1:
            raise InvalidRedirectUriError("redirect_uri is required for this client")
        chosen = state.client.redirect_uris[0]
    elif state.client.allows_redirect_uri(uri):
        chosen = uri
    else:
        raise InvalidRedirectUriError("redirect_uri is not registered for this client")
    state.redirect_uri_param = uri
    response_type = state.params.get("response_type", "")
    mode = "fragment" if response_type == "token" else "query"
    state.target = RedirectTarget(chosen, mode, state.params.get("state"))


async def supported_response_type(state: _State) -> None:
    assert state.client is not None
    response_type = state.params.get("response_type")
    if not response_type:
        raise InvalidRequestError("response_type is required")
    grant = RESPONSE_TYPES.get(response_type)
    if grant is None or (grant == "implicit" and not state.policy.implicit_enabled):
        raise UnsupportedResponseTypeError(f"response_type {response_type!r} is not supported")
    if not state.client.allows_grant(grant):
        raise UnauthorizedClientError(f"this client may not use response_type {response_type}")
    state.response_type = response_type


async def no_repeated_parameters(state: _State) -> None:
    # §3.1: parameters must not be included more than once; the adapter marks repeats.
    if "__repeated__" in state.params:
        raise InvalidRequestError(f"repeated parameter: {state.params['__repeated__']}")


async def allowed_scopes(state: _State) -> None:
    assert state.client is not None
    state.scopes = granted_scopes(state.params.get("scope"), state.client.scopes)


async def proof_key(state: _State) -> None:
    assert state.client is not None
    if state.response_type != "code":
        return
    challenge = state.params.get("code_challenge")
    method = pkce.check_challenge(
        challenge,
        state.params.get("code_challenge_method"),
        allow_plain=state.policy.allow_plain_pkce,
    )
    if method is None and (state.client.is_public or state.policy.require_pkce):
        raise InvalidRequestError("code_challenge is required (PKCE, RFC 7636)")
    state.challenge_method = method


CHECKS: tuple[Check, ...] = (
    known_client,  # errors up to here are shown on a page, never redirected
    registered_redirect_uri,
    no_repeated_parameters,
    supported_response_type,
    allowed_scopes,
    proof_key,
)


async def validate(
    params: Mapping[str, str], clients: ClientStore, policy: AuthorizePolicy
) -> AuthorizationRequest:
    state = _State(params, clients, policy)
    for check in CHECKS:
        try:
            await check(state)
        except OAuthError as exc:
            raise AuthorizationRequestError(exc, state.target) from None
    assert state.client is not None
    assert state.target is not None
    return AuthorizationRequest(
        client=state.client,
        target=state.target,
        redirect_uri_param=state.redirect_uri_param,
        response_type=state.response_type,
        scopes=state.scopes,
        code_challenge=params.get("code_challenge") if state.challenge_method else None,
        code_challenge_method=state.challenge_method,
        nonce=params.get("nonce"),
    )
