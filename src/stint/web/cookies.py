"""Cookie names: the ``__Host-`` prefix whenever the cookies are Secure."""

from __future__ import annotations

__all__ = ["host_cookie"]


def host_cookie(name: str, *, secure: bool) -> str:
    """``__Host-name`` over https: browsers then keep it only if Secure, Path=/ and without Domain,
    so a sibling subdomain cannot plant or overwrite it (RFC 6265bis §4.1.3.2). Browsers refuse
    the prefix on a cookie that is not Secure, so an http issuer (development) keeps ``name``."""
    return f"__Host-{name}" if secure else name
