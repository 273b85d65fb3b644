"""at_hash / c_hash / s_hash (OIDC Core §3.1.3.6, §3.3.2.11; FAPI 1.0 Advanced §5.2.2.1)."""

from __future__ import annotations

import base64
import hashlib

import pytest

from stint.protocol.oidc.id_token import half_hash


def _left_half_b64(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode("ascii")


@pytest.mark.parametrize("alg", ["ES256", "RS256", "PS256"])
def test_an_ascii_value_is_hashed_as_its_ascii_bytes(alg: str) -> None:
    code = "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"
    assert half_hash(code, alg) == _left_half_b64(code.encode("ascii"))


def test_a_state_outside_ascii_is_hashed_as_its_utf8_bytes() -> None:
    state = "Zürich ☕ état"
    assert half_hash(state, "ES256") == _left_half_b64(state.encode("utf-8"))
    assert len(half_hash(state, "ES256")) == 22  # 128 bits, unpadded base64url
