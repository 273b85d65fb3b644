"""Proactive content negotiation on the Accept header (RFC 9110 §12.5.1)."""

from __future__ import annotations

from functools import lru_cache

__all__ = ["CSV", "JSON", "choose_media_type"]

JSON = "application/json"
CSV = "text/csv"


@lru_cache(maxsize=256)
def choose_media_type(accept: str | None, offered: tuple[str, ...]) -> str | None:
    """The offered type the client prefers most, or None when it accepts none of them.

    No Accept header means anything goes: the first offered type.
    """
    if not accept or not accept.strip():
        return offered[0]
    best: tuple[float, int, str] | None = None
    for part in accept.split(","):
        media_range, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0 or quality > 1:
            continue
        media_range = media_range.lower()
        for index, candidate in enumerate(offered):
            if _matches(media_range, candidate):
                # Higher q wins; at equal q, the server's order of preference decides.
                key = (quality, -index, candidate)
                if best is None or key > best:
                    best = key
    return best[2] if best else None


def _matches(media_range: str, candidate: str) -> bool:
    if media_range in ("*/*", candidate):
        return True
    kind, _, subtype = media_range.partition("/")
    return subtype == "*" and candidate.startswith(kind + "/")
