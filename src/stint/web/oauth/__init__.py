"""HTTP adapters for the OAuth 2.0 endpoints, at Django OAuth Toolkit's paths (/o/...)."""
