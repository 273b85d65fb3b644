"""CIBA (OpenID Client-Initiated Backchannel Authentication Core 1.0) over HTTP: the
backchannel authentication endpoint, the /approve page, ping and push notifications to clients,
and the operator's webhook. Mounted by ``stint.web.features.ciba``."""
