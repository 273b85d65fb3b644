"""The authorization request's checks, as an ordered table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from stint.protocol import pkce
from stint.protocol.authorize.request import (
    AuthorizationRequest,
    AuthorizationRequestError,
    RedirectTarget,
)
from stint.protocol.authorize.response_types import (
    RESPONSE_MODES,
    client_response_types,
    default_mode,
    normalise,
    required_grants,
    returns_access_token,
)
from stint.protocol.clients import GRANT_TYPES, Client
from stint.protocol.errors import (
    InvalidRedirectUriError,
    InvalidRequestError,
    InvalidScopeError,
    OAuthError,
    RequestNotSupportedError,
    UnauthorizedClientError,
    UnsupportedResponseTypeError,
)
from stint.protocol.oidc.claims import ClaimsRequest
from stint.protocol.oidc.reauthentication import ReauthenticationMarkers
from stint.protocol.ports import ClientStore
from stint.protocol.scopes import scopes_to_ask
from stint.protocol.text import has_control_character

__all__ = ["CHECKS", "AuthorizePolicy", "Check", "IdTokenHints", "RequestObjectsPort", "validate"]

_PROMPTS = frozenset({"none", "login", "consent", "select_account"})


class RequestObjectsPort(Protocol):
    async def apply(self, params: Mapping[str, str], client: Client) -> dict[str, str]: ...


class IdTokenHints(Protocol):
    async def verify(self, token: str) -> dict[str, Any]:
        """The hint's claims if we issued it (expired is fine); InvalidRequestError if not."""
        ...


@dataclass(frozen=True, slots=True)
class AuthorizePolicy:
    require_pkce: bool = True  # PKCE for every client, not only public ones (RFC 9700 §2.1.1)
    allow_plain_pkce: bool = False
    implicit_enabled: bool = False  # response types that return an access token (RFC 9700 §2.1.2)
    grant_types: frozenset[str] = GRANT_TYPES  # those switched on (clients.grant_types_on)


@dataclass
class _State:
    params: Mapping[str, str]
    clients: ClientStore
    policy: AuthorizePolicy
    request_objects: RequestObjectsPort | None
    hints: IdTokenHints | None
    client: Client | None = None
    target: RedirectTarget | None = None
    redirect_uri_param: str | None = None
    response_type: str = ""
    scopes: frozenset[str] = field(default_factory=frozenset)
    challenge_method: str | None = None
    prompt: frozenset[str] = frozenset()
    max_age: int | None = None
    claims: ClaimsRequest = field(default_factory=ClaimsRequest)
    hint: dict[str, Any] | None = None
    markers: ReauthenticationMarkers | None = None
    authenticated_after: datetime | None = None
    repeated: frozenset[str] = frozenset()  # names the request sent more than once


Check = Callable[[_State], Awaitable[None]]


async def known_client(state: _State) -> None:
    client_id = state.params.get("client_id")
    if not client_id:
        raise InvalidRedirectUriError("client_id is required")
    client = await state.clients.get(client_id) if len(client_id) <= 200 else None
    if client is None:
        raise InvalidRedirectUriError("unknown client_id")
    state.client = client


async def request_object(state: _State) -> None:
    # OIDC Core §6 / RFC 9101: parameters may arrive inside a signed request object.
    assert state.client is not None
    has_object = "request" in state.params or "request_uri" in state.params
    if state.request_objects is None:
        if has_object:
            raise RequestNotSupportedError("request objects are not supported here")
        return
    if has_object:
        try:
            state.params = await state.request_objects.apply(state.params, state.client)
        except OAuthError as exc:
            # The object is in doubt, so is any redirect URI it holds: use the query's, if any.
            _settle_target(state, state.params.get("redirect_uri"), strict=True)
            raise exc


async def registered_redirect_uri(state: _State) -> None:
    _settle_target(state, state.params.get("redirect_uri"), strict=False)


def _settle_target(state: _State, uri: str | None, *, strict: bool) -> None:
    assert state.client is not None
    if uri is None:
        # §3.1.2.3: may be omitted only when exactly one URI is registered.
        if len(state.client.redirect_uris) != 1:
            if strict:
                return
            raise InvalidRedirectUriError("redirect_uri is required for this client")
        chosen = state.client.redirect_uris[0]
    elif state.client.allows_redirect_uri(uri):
        chosen = uri
    else:
        if strict:
            return
        raise InvalidRedirectUriError("redirect_uri is not registered for this client")
    state.redirect_uri_param = uri
    response_type = normalise(state.params.get("response_type", ""))
    mode = state.params.get("response_mode")
    if mode not in RESPONSE_MODES:
        mode = default_mode(response_type)
    state.target = RedirectTarget(chosen, mode, state.params.get("state"))


async def no_repeated_parameters(state: _State) -> None:
    # §3.1: parameters must not be included more than once; the adapter names the repeats.
    if state.repeated:
        raise InvalidRequestError(f"repeated parameter: {', '.join(sorted(state.repeated))}")


async def supported_response_type(state: _State) -> None:
    assert state.client is not None
    raw = state.params.get("response_type")
    if not raw:
        raise InvalidRequestError("response_type is required")
    response_type = normalise(raw)
    grants = required_grants(response_type)
    # RFC 9700 §2.1.2: access tokens in the front channel only where the operator enabled them.
    front_channel_token = returns_access_token(response_type)
    if grants is None or (front_channel_token and not state.policy.implicit_enabled):
        raise UnsupportedResponseTypeError(f"response_type {raw!r} is not supported")
    # RFC 6749 §4.1.2.1: a code no token endpoint would redeem is not issued either.
    if not grants <= state.policy.grant_types:
        off = " and ".join(sorted(grants - state.policy.grant_types))
        raise UnsupportedResponseTypeError(f"response_type {raw!r} needs {off}, switched off")
    if response_type not in client_response_types(state.client) or not all(
        state.client.allows_grant(g) for g in grants
    ):
        raise UnauthorizedClientError(f"this client may not use response_type {raw}")
    state.response_type = response_type


async def supported_response_mode(state: _State) -> None:
    mode = state.params.get("response_mode")
    if mode is None:
        return
    if mode not in RESPONSE_MODES:
        raise InvalidRequestError(f"response_mode {mode!r} is not supported")
    # OAuth 2.0 Multiple Response Types §2.1: tokens never travel in the query string.
    if mode == "query" and state.response_type != "code":
        raise InvalidRequestError("response_mode=query cannot carry tokens")


async def allowed_scopes(state: _State) -> None:
    assert state.client is not None
    # Identity scopes are open to every client; the user consents to them on the consent page.
    state.scopes = scopes_to_ask(state.params.get("scope"), state.client.scopes)


async def openid_parameters(state: _State) -> None:
    """OIDC Core §3.1.2.1 to §3.1.2.2 (and §3.2.2.1, §3.3.2.1 for implicit and hybrid)."""
    values = frozenset(state.response_type.split())
    openid = "openid" in state.scopes
    if "id_token" in values and not openid:
        raise InvalidScopeError("response_type id_token needs the openid scope")
    # §3.2.2.1, §3.3.2.11: only an ID token from this endpoint needs one ("code token" not).
    if "id_token" in values and not state.params.get("nonce"):
        raise InvalidRequestError("nonce is required when the ID token comes from this endpoint")
    prompt = frozenset(state.params.get("prompt", "").split())
    if prompt - _PROMPTS:
        raise InvalidRequestError(f"unknown prompt value: {' '.join(sorted(prompt - _PROMPTS))}")
    if "none" in prompt and len(prompt) > 1:
        raise InvalidRequestError("prompt=none cannot be combined with other values")
    state.prompt = prompt
    raw_max_age = state.params.get("max_age")
    if raw_max_age is not None:
        if not raw_max_age.isdigit() or len(raw_max_age) > 10:
            raise InvalidRequestError("max_age must be a non-negative number of seconds")
        state.max_age = int(raw_max_age)
    state.claims = ClaimsRequest.parse(state.params.get("claims"))
    hint = state.params.get("id_token_hint")
    if hint and state.hints is not None:
        state.hint = await state.hints.verify(hint)


# The authorization code keeps the nonce until the token request (a varchar(512) column).
MAX_NONCE = 512


async def nonce_fits(state: _State) -> None:
    # OIDC Core §3.1.2.1: the nonce is opaque to us, but it is stored and echoed in ID tokens.
    nonce = state.params.get("nonce")
    if nonce is not None and (len(nonce) > MAX_NONCE or has_control_character(nonce)):
        raise InvalidRequestError(
            f"nonce must be at most {MAX_NONCE} characters, without control characters"
        )


async def proof_key(state: _State) -> None:
    assert state.client is not None
    if "code" not in state.response_type.split():
        return
    challenge = state.params.get("code_challenge")
    method = pkce.check_challenge(
        challenge,
        state.params.get("code_challenge_method"),
        allow_plain=state.policy.allow_plain_pkce,
    )
    # RFC 9700 §2.1.1: a confidential OpenID Connect client may rely on the nonce instead.
    nonce_protected = "openid" in state.scopes and bool(state.params.get("nonce"))
    needs = state.client.is_public or (state.policy.require_pkce and not nonce_protected)
    if method is None and needs:
        raise InvalidRequestError("code_challenge is required (PKCE, RFC 7636)")
    state.challenge_method = method


async def reauthentication_marker(state: _State) -> None:
    # OIDC Core §3.1.2.1: prompt=login and max_age stand until a sign-in newer than the request;
    # a request back from the sign-in page says, signed, when it was sent there.
    if state.markers is not None:
        state.authenticated_after = state.markers.verify(state.params)


CHECKS: tuple[Check, ...] = (
    known_client,  # errors up to here are shown on a page, never redirected
    request_object,
    registered_redirect_uri,
    no_repeated_parameters,
    supported_response_type,
    supported_response_mode,
    allowed_scopes,
    openid_parameters,
    nonce_fits,
    proof_key,
    reauthentication_marker,
)


async def validate(
    params: Mapping[str, str],
    clients: ClientStore,
    policy: AuthorizePolicy,
    *,
    request_objects: RequestObjectsPort | None = None,
    hints: IdTokenHints | None = None,
    markers: ReauthenticationMarkers | None = None,
    checks: Sequence[Check] = CHECKS,
    repeated: frozenset[str] = frozenset(),
) -> AuthorizationRequest:
    """The request checked by ``checks`` in turn; ``repeated``: the names sent more than once."""
    state = _State(
        params, clients, policy, request_objects, hints, markers=markers, repeated=repeated
    )
    for check in checks:
        try:
            await check(state)
        except OAuthError as exc:
            raise AuthorizationRequestError(exc, state.target) from None
    assert state.client is not None
    assert state.target is not None
    params = state.params
    return AuthorizationRequest(
        client=state.client,
        target=state.target,
        redirect_uri_param=state.redirect_uri_param,
        response_type=state.response_type,
        scopes=state.scopes,
        code_challenge=params.get("code_challenge") if state.challenge_method else None,
        code_challenge_method=state.challenge_method,
        nonce=params.get("nonce"),
        prompt=state.prompt,
        max_age=state.max_age,
        claims=state.claims,
        id_token_hint=state.hint,
        login_hint=params.get("login_hint"),
        acr_values=tuple(params.get("acr_values", "").split()),
        ui_locales=tuple(params.get("ui_locales", "").split()),
        authenticated_after=state.authenticated_after,
        params={k: v for k, v in params.items() if k not in ("request", "request_uri")},
    )
