"""Stint: a time-tracking API that is its own OAuth 2.0 / OpenID Connect provider."""

__all__ = ["__version__"]

__version__ = "0.1.0"
