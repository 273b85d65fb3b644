"""``oauth1``: any OAuth 1.0a provider, configured by its URLs.

Settings: ``REQUEST_TOKEN_URL``, ``AUTHORIZATION_URL``, ``ACCESS_TOKEN_URL`` (RFC 5849 §2),
``USER_DATA_URL`` (a JSON resource about the person, fetched with a signed GET) and ``ID_KEY``
(the field of it that never changes for the person; default ``id``).
"""

from __future__ import annotations

from typing import Any

from stint.connectors.exceptions import AuthFailed
from stint.connectors.oauth1 import BaseOAuth1
from stint.protocol.texts import N_, Text

__all__ = ["GenericOAuth1"]

# Where providers put a person's handle, in the order they are looked for.
USERNAME_KEYS = ("username", "screen_name", "login", "preferred_username", "nickname")


class GenericOAuth1(BaseOAuth1):
    name = "oauth1"

    def get_user_details(self, response: dict[str, Any]) -> dict[str, Any]:
        details = super().get_user_details(response)
        details["username"] = next((str(response[k]) for k in USERNAME_KEYS if response.get(k)), "")
        return details

    async def user_data(self, access_token: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """``USER_DATA_URL``'s JSON object; without one, only what the token answer carried."""
        url = self.setting("USER_DATA_URL")
        if not url:
            return {}
        data = await self.aoauth_json(access_token, str(url))
        if not isinstance(data, dict):
            raise AuthFailed(self, Text(N_("The provider's user data is not a JSON object.")))
        return data
