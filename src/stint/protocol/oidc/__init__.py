"""OpenID Connect Core 1.0 on top of the OAuth 2.0 core: ID tokens, claims, sessions, logout."""
