"""OpenID Client-Initiated Backchannel Authentication (CIBA Core 1.0): a client asks, out of
band, that a person approve it on their own device (here: Stint's /approve page).

``endpoint`` answers the backchannel authentication request (§7), ``hints`` finds the person
(§7.1), ``signed_request`` reads signed requests (§7.1.1), ``approval`` is what /approve calls,
``grant`` is the token endpoint's CIBA grant (§10.1, §11), ``notifications`` the ping and push
bodies (§10.2, §10.3, §12), ``ports`` the storage it needs.
"""

from __future__ import annotations

__all__ = ["DELIVERY_MODES", "GRANT_TYPE", "NOTIFIED_MODES", "POLLED_MODES"]

GRANT_TYPE = "urn:openid:params:grant-type:ciba"  # §10.1
DELIVERY_MODES: tuple[str, ...] = ("poll", "ping", "push")  # §5
POLLED_MODES = frozenset({"poll", "ping"})  # §10.1: these call the token endpoint
NOTIFIED_MODES = frozenset({"ping", "push"})  # §10.2, §10.3: these are called back
