"""Behind a load balancer: the client address that throttling counts comes from a trusted proxy's
X-Forwarded-For, and only from a proxy named in STINT_FORWARDED_ALLOW_IPS."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import PASSWORD, basic, running_server

WRONG = basic("alice", "not the passphrase")


def _status(base_url: str, credentials: dict[str, str], forwarded_for: str) -> int:
    with httpx.Client(base_url=base_url, trust_env=False) as client:
        response = client.get("/api/me", headers={**credentials, "X-Forwarded-For": forwarded_for})
        return response.status_code


def _guess_ten_times_then_sign_in_as_the_owner(base_url: str) -> int:
    for _ in range(10):
        assert _status(base_url, WRONG, "198.51.100.66") == 401
    return _status(base_url, basic("alice", PASSWORD), "198.51.100.7")


def test_a_trusted_proxy_names_the_client_so_a_guesser_does_not_throttle_the_owner(
    tmp_path: Path,
) -> None:
    with running_server(tmp_path) as server:  # the balancer is on 127.0.0.1, trusted by default
        server.create_user("alice")
        assert _guess_ten_times_then_sign_in_as_the_owner(server.base_url) == 200


def test_a_proxy_not_named_is_not_believed(tmp_path: Path) -> None:
    with running_server(tmp_path, STINT_FORWARDED_ALLOW_IPS="192.0.2.1") as server:
        server.create_user("alice")
        # Every request counts as 127.0.0.1's: the guesser's address is the owner's.
        assert _guess_ten_times_then_sign_in_as_the_owner(server.base_url) == 429
