"""``GenericOAuth2``: any OAuth 2.0 provider described entirely by the operator's settings.

AUTHORIZATION_URL, ACCESS_TOKEN_URL (required), USER_DATA_URL (the API that says who the
token's person is; GET with the token as a Bearer), ID_KEY (default ``id``), SCOPE,
ACCESS_TOKEN_METHOD (default POST), TOKEN_ENDPOINT_AUTH_METHOD, PKCE (default on), and
USERNAME_KEY, EMAIL_KEY, NAME_KEY when the API names them otherwise.
"""

from __future__ import annotations

from typing import Any

from stint.connectors.exceptions import AuthFailed
from stint.connectors.oauth import BaseOAuth2
from stint.connectors.strategy import Strategy
from stint.protocol.texts import N_, Text

__all__ = ["GenericOAuth2"]


class GenericOAuth2(BaseOAuth2):
    name = "oauth2"
    ACCESS_TOKEN_METHOD = "POST"  # noqa: S105 (a method, not a secret)

    def __init__(self, strategy: Strategy | None = None, redirect_uri: str | None = None) -> None:
        super().__init__(strategy, redirect_uri)
        self.ACCESS_TOKEN_METHOD = str(self.setting("ACCESS_TOKEN_METHOD") or "POST").upper()
        self.PKCE = bool(self.setting("PKCE", True))

    async def authorization_url(self) -> str:
        return self._required("AUTHORIZATION_URL")

    async def access_token_url(self) -> str:
        return self._required("ACCESS_TOKEN_URL")

    def _required(self, name: str) -> str:
        value = self.setting(name)
        if not value:
            raise AuthFailed(
                self, Text(N_("This provider is not fully configured (no %(name)s)."), name=name)
            )
        return str(value)

    async def user_data(self, access_token: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        url = self.setting("USER_DATA_URL")
        if not url:
            return {}  # the token answer itself says who (ID_KEY in it)
        answer = await self.aget_json(str(url), headers={"Authorization": f"Bearer {access_token}"})
        if not isinstance(answer, dict):
            raise AuthFailed(self, Text(N_("The provider's user data is not a JSON object.")))
        return answer

    def get_user_details(self, response: dict[str, Any]) -> dict[str, Any]:
        def pick(setting: str, *keys: str) -> str:
            for key in (self.setting(setting), *keys):
                if key and response.get(key):
                    return str(response[key])
            return ""

        return {
            "username": pick("USERNAME_KEY", "username", "preferred_username", "login"),
            "email": pick("EMAIL_KEY", "email"),
            "fullname": pick("NAME_KEY", "name", "fullname"),
            "first_name": pick("FIRST_NAME_KEY", "given_name", "first_name"),
            "last_name": pick("LAST_NAME_KEY", "family_name", "last_name"),
        }
