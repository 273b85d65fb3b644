"""The request body limit's one answer, whether the size was declared up front or streamed."""

from __future__ import annotations

from stint.web.responses import ProblemResponse

__all__ = ["BodyTooLargeError", "too_large"]


class BodyTooLargeError(Exception):
    """The request body passed the configured limit while it was being read."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"request bodies are limited to {max_bytes} bytes")
        self.max_bytes = max_bytes


def too_large(max_bytes: int) -> ProblemResponse:
    """RFC 9110 §15.5.14: 413, as a problem (RFC 9457) on every path, OAuth endpoints included."""
    detail = f"request bodies are limited to {max_bytes} bytes"
    response = ProblemResponse(413, "Content Too Large", detail=detail)
    # What is left of the body is never read: the connection cannot carry another request.
    response.headers["connection"] = "close"
    return response
