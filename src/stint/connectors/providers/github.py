"""GitHub ("Authorizing OAuth apps", web application flow), and GitHub Enterprise Server.

The person is keyed on GitHub's numeric ``id``: the ``login`` can be renamed and then taken by
someone else. ``/user``'s ``email`` is only the address they chose to show publicly, and GitHub
says nothing there about verification, so the address and whether it is verified come from
``/user/emails`` (scope ``user:email``).
"""

from __future__ import annotations

from typing import Any

from stint.connectors.exceptions import AuthFailed
from stint.connectors.oauth import BaseOAuth2
from stint.protocol.texts import N_, Text

__all__ = ["GitHubOAuth2"]

# GitHub's REST API media type and version ("API versions" in GitHub's REST docs).
API_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


class GitHubOAuth2(BaseOAuth2):
    """GitHub OAuth app. Settings: ``URL`` (a GitHub Enterprise host, for the login pages) and
    ``API_URL`` (its API, ``https://HOST/api/v3``)."""

    name = "github"
    URL = "https://github.com"
    API_URL = "https://api.github.com"
    AUTHORIZATION_URL = "https://github.com/login/oauth/authorize"
    ACCESS_TOKEN_URL = "https://github.com/login/oauth/access_token"  # noqa: S105 (a URL)
    HOST_SETTING = "URL"
    AUTHORIZATION_PATH = "/login/oauth/authorize"
    ACCESS_TOKEN_PATH = "/login/oauth/access_token"  # noqa: S105 (a path)
    ACCESS_TOKEN_METHOD = "POST"  # noqa: S105
    SCOPE_SEPARATOR = ","
    DEFAULT_SCOPE = ["read:user", "user:email"]  # noqa: RUF012 (python-social-auth's shape)
    ID_KEY = "id"
    EXTRA_DATA = [("id", "id"), ("login", "login")]  # noqa: RUF012

    def api_url(self, path: str) -> str:
        return str(self.setting("API_URL") or self.API_URL).rstrip("/") + path

    def get_user_details(self, response: dict[str, Any]) -> dict[str, Any]:
        return {
            "username": response.get("login") or "",
            "email": response.get("email") or "",
            "fullname": response.get("name") or "",
            "first_name": "",
            "last_name": "",
        }

    async def user_data(self, access_token: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """/user, then /user/emails: the profile's address if GitHub verified it, else the
        primary verified one."""
        headers = {**API_HEADERS, "Authorization": f"Bearer {access_token}"}
        user = await self.aget_json(self.api_url("/user"), headers=headers)
        if not isinstance(user, dict):
            raise AuthFailed(self, Text(N_("GitHub's /user answer is not an object.")))
        emails = await self._emails(headers)
        verified = [e["email"] for e in emails if e.get("verified") is True]
        primary = [
            e["email"] for e in emails if e.get("primary") is True and e["email"] in verified
        ]
        if not (user.get("email") and user["email"] in verified) and primary:
            user["email"] = primary[0]
        user["verified_emails"] = verified
        return user

    async def _emails(self, headers: dict[str, str]) -> list[dict[str, Any]]:
        """/user/emails; without the user:email scope GitHub refuses it, and then no address
        counts as verified."""
        try:
            emails = await self.aget_json(self.api_url("/user/emails"), headers=headers)
        except AuthFailed:
            return []
        if not isinstance(emails, list):
            return []
        return [e for e in emails if isinstance(e, dict) and isinstance(e.get("email"), str)]

    def email_verified(self, response: dict[str, Any], details: dict[str, Any]) -> bool:
        """Only /user/emails' ``verified`` flag counts."""
        return details.get("email") in (response.get("verified_emails") or ())
