"""The "sent to sign in at T" marker that carries prompt=login and max_age across the sign-in
page (OIDC Core §3.1.2.1), with an injected clock, and the authorize check that reads it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from stint.protocol.authorize import AuthorizePolicy, validate
from stint.protocol.clients import Client
from stint.protocol.oidc.reauthentication import MARKER_PARAM, MARKER_TTL, ReauthenticationMarkers
from tests.support.clients import relying_party

pytestmark = pytest.mark.anyio

SENT = datetime(2026, 12, 6, 10, 0, 0, 123456, tzinfo=UTC)
PARAMS = {
    "response_type": "code",
    "client_id": "rp",
    "redirect_uri": "https://rp.example/cb",
    "scope": "openid",
    "state": "s1",
    "nonce": "n1",
    "prompt": "login",
}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _markers(clock: Clock, key: bytes = b"k" * 32) -> ReauthenticationMarkers:
    return ReauthenticationMarkers(key, clock=clock)


def _marked(markers: ReauthenticationMarkers, params: dict[str, str]) -> dict[str, str]:
    return params | {MARKER_PARAM: markers.issue(params)}


def test_a_marker_says_to_the_microsecond_when_the_request_was_sent_to_sign_in() -> None:
    clock = Clock(SENT)
    markers = _markers(clock)
    marked = _marked(markers, PARAMS)
    clock.now = SENT + timedelta(minutes=3)
    assert markers.verify(marked) == SENT


def test_a_marker_replayed_after_its_lifetime_is_refused() -> None:
    clock = Clock(SENT)
    markers = _markers(clock)
    marked = _marked(markers, PARAMS)
    clock.now = SENT + MARKER_TTL
    assert markers.verify(marked) is None


@pytest.mark.parametrize("change", [{"state": "s2"}, {"client_id": "other"}, {"max_age": "0"}])
def test_a_marker_moved_to_another_request_is_refused(change: dict[str, str]) -> None:
    markers = _markers(Clock(SENT))
    assert markers.verify(_marked(markers, PARAMS) | change) is None


def test_changing_prompt_keeps_the_marker_as_prompt_only_adds_demands() -> None:
    """The consent form drops prompt=consent; the marker must survive it."""
    markers = _markers(Clock(SENT))
    marked = _marked(markers, PARAMS | {"prompt": "login consent"})
    assert markers.verify(marked | {"prompt": "login"}) == SENT


@pytest.mark.parametrize(
    "value",
    [
        "",
        "0",
        "garbage",
        "1.",
        f"{'9' * 30}.abc",
        "\uff11\uff12.abc",
        "12.abc",
        f"{10**16}.{'A' * 43}",
    ],
)
def test_forged_or_malformed_markers_are_refused(value: str) -> None:
    assert _markers(Clock(SENT)).verify(PARAMS | {MARKER_PARAM: value}) is None


def test_a_marker_made_under_another_key_is_refused() -> None:
    theirs = _markers(Clock(SENT), key=b"x" * 32)
    assert _markers(Clock(SENT)).verify(_marked(theirs, PARAMS)) is None


class Clients:
    def __init__(self, client: Client) -> None:
        self._client = client

    async def get(self, client_id: str) -> Client | None:
        return self._client if client_id == self._client.client_id else None


async def test_the_authorize_checks_settle_when_a_marked_request_was_sent_to_sign_in() -> None:
    client = relying_party()
    markers = _markers(Clock(SENT))
    clients = Clients(client)
    marked = await validate(_marked(markers, PARAMS), clients, AuthorizePolicy(), markers=markers)
    assert marked.authenticated_after == SENT
    unmarked = await validate(PARAMS, clients, AuthorizePolicy(), markers=markers)
    assert unmarked.authenticated_after is None
