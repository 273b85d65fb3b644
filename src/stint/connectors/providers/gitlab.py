"""GitLab (gitlab.com or a self-managed instance): its OAuth 2.0 provider and ``GET /api/v4/user``.

The person is keyed on GitLab's numeric ``id`` (a username can be renamed). GitLab's ``email`` is
the primary address; ``confirmed_at`` is set once that address was confirmed (a changed address
waits in ``unconfirmed_email`` until it is), so the address counts as verified only then.
"""

from __future__ import annotations

from typing import Any

from stint.connectors.exceptions import AuthFailed
from stint.connectors.oauth import BaseOAuth2
from stint.protocol.texts import N_, Text

__all__ = ["GitLabOAuth2"]


class GitLabOAuth2(BaseOAuth2):
    """GitLab application. Setting ``API_URL``: the instance's URL (python-social-auth's name)."""

    name = "gitlab"
    API_URL = "https://gitlab.com"
    AUTHORIZATION_URL = "https://gitlab.com/oauth/authorize"
    ACCESS_TOKEN_URL = "https://gitlab.com/oauth/token"  # noqa: S105 (a URL)
    HOST_SETTING = "API_URL"  # the instance
    AUTHORIZATION_PATH = "/oauth/authorize"
    ACCESS_TOKEN_PATH = "/oauth/token"  # noqa: S105 (a path)
    ACCESS_TOKEN_METHOD = "POST"  # noqa: S105
    DEFAULT_SCOPE = ["read_user"]  # noqa: RUF012 (python-social-auth's shape)
    ID_KEY = "id"
    EXTRA_DATA = [("id", "id"), ("username", "username")]  # noqa: RUF012

    def api_url(self, path: str) -> str:
        return str(self.setting("API_URL") or self.API_URL).rstrip("/") + path

    def get_user_details(self, response: dict[str, Any]) -> dict[str, Any]:
        return {
            "username": response.get("username") or "",
            "email": response.get("email") or "",
            "fullname": response.get("name") or "",
            "first_name": "",
            "last_name": "",
        }

    async def user_data(self, access_token: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        user = await self.aget_json(
            self.api_url("/api/v4/user"), headers={"Authorization": f"Bearer {access_token}"}
        )
        if not isinstance(user, dict):
            raise AuthFailed(self, Text(N_("GitLab's /api/v4/user answer is not an object.")))
        return user

    def email_verified(self, response: dict[str, Any], details: dict[str, Any]) -> bool:
        """Only a confirmed primary address (``confirmed_at`` set) of an active account."""
        return bool(response.get("confirmed_at")) and response.get("state") == "active"
