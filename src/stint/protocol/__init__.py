"""OAuth 2.0 / OpenID Connect rules, free of any web framework or database."""
