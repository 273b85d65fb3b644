"""client_secret_basic credentials from the Authorization header (RFC 6749 §2.3.1)."""

from __future__ import annotations

import base64

import pytest

from stint.protocol.client_auth.basic import from_basic_header
from stint.protocol.errors import InvalidClientError


def _basic(raw: str, scheme: str = "Basic") -> str:
    return f"{scheme} {base64.b64encode(raw.encode()).decode('ascii')}"


def test_the_client_id_and_secret_are_read_from_the_header() -> None:
    assert from_basic_header(_basic("web:s3cret")) == ("web", "s3cret")


def test_the_scheme_is_case_insensitive() -> None:
    """RFC 7235 §2.1: the auth-scheme is case-insensitive."""
    assert from_basic_header(_basic("web:s3cret", "bAsIc")) == ("web", "s3cret")


@pytest.mark.parametrize("header", [None, "", "Bearer abc.def.ghi", "Basically web:secret"])
def test_no_basic_header_means_no_basic_credentials(header: str | None) -> None:
    """Another scheme is not client_secret_basic; the form's credentials may still apply."""
    assert from_basic_header(header) is None


def test_both_parts_are_form_url_decoded_after_base64() -> None:
    """§2.3.1: the id and secret are application/x-www-form-urlencoded before Basic encoding."""
    assert from_basic_header(_basic("my%3Aapp:a+b%2Bc%25")) == ("my:app", "a b+c%")


@pytest.mark.parametrize("header", ["Basic", "Basic !!!", _basic("no-colon")])
def test_malformed_credentials_fail_client_authentication(header: str) -> None:
    """RFC 6749 §5.2: invalid_client, which the HTTP layer answers with 401 and a challenge."""
    with pytest.raises(InvalidClientError, match="malformed"):
        from_basic_header(header)


@pytest.mark.parametrize("raw", ["web%00:secret", "web:sec%0Aret", "web:%7F"])
def test_a_control_character_hidden_in_the_url_encoding_is_refused(raw: str) -> None:
    """A NUL decoded from %00 is refused like a raw one (PostgreSQL text cannot hold it)."""
    with pytest.raises(InvalidClientError, match="control characters"):
        from_basic_header(_basic(raw))
