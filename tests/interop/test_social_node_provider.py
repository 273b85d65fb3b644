"""Stint's ``oidc`` backend against node-oidc-provider, panva's OpenID Certified provider.

The provider (tests/support/node_provider.py) runs from npm on loopback, with its own sign-in
and consent pages; a test plays the person with an HTTP client that follows the redirects and
submits those pages' forms, as a browser would.
"""

from __future__ import annotations

import httpx

from tests.support.node_provider import NodeProvider


def test_node_provider_publishes_its_discovery_document_and_keys(
    node_provider: NodeProvider,
) -> None:
    discovery = httpx.get(f"{node_provider.issuer}/.well-known/openid-configuration")
    assert discovery.status_code == 200, discovery.text
    document = discovery.json()
    assert document["issuer"] == node_provider.issuer  # OpenID Connect Discovery §4.3
    assert "S256" in document["code_challenge_methods_supported"]
    assert {"email", "email_verified"} <= set(document["claims_supported"])
    keys = httpx.get(document["jwks_uri"]).json()["keys"]
    assert [(key["kty"], key["alg"], key["use"]) for key in keys] == [("RSA", "RS256", "sig")]
