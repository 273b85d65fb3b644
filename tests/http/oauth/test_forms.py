"""Reading the OAuth endpoints' form bodies: exactly what urllib's parser reads."""

from __future__ import annotations

from urllib.parse import parse_qsl

from hypothesis import given
from hypothesis import strategies as st

from stint.web.oauth.forms import form_pairs

_FORM_TEXT = st.text(alphabet=st.sampled_from("ab=&+%2Fé;% 0"), max_size=40)


@given(_FORM_TEXT)
def test_a_form_body_reads_as_parse_qsl_reads_it(text: str) -> None:
    assert form_pairs(text) == parse_qsl(text, keep_blank_values=True)


def test_escaped_and_plain_fields_read_alike() -> None:
    body = "grant_type=client_credentials&scope=activities%3Aread+activities%3Awrite&x&=v"
    assert form_pairs(body) == [
        ("grant_type", "client_credentials"),
        ("scope", "activities:read activities:write"),
        ("x", ""),
        ("", "v"),
    ]
