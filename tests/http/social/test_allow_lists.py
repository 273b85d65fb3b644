"""The operator's allow-lists (python-social-auth's WHITELISTED_DOMAINS / WHITELISTED_EMAILS, a
provider's options in stint.toml or `stint social add --option`): only people whose verified
address is listed, or of a listed domain, may sign in through that provider."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from stint.settings import Settings
from tests.http.social.conftest import Upstream, local_usernames, sign_in_with_upstream
from tests.support.pages import text_of

pytestmark = pytest.mark.anyio


def _with_options(settings: Settings, **options: Any) -> Settings:
    provider = settings.social["stint"].model_copy(update={"options": options})
    return settings.model_copy(update={"social": {"stint": provider}})


class TestAllowedDomains:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return _with_options(settings, WHITELISTED_DOMAINS=["corp.example"])

    async def test_a_person_of_another_domain_is_refused_and_nothing_is_created(
        self, app: Starlette, upstream: Upstream, browser: httpx.AsyncClient
    ) -> None:
        await upstream.person("uma", "uma@elsewhere.example")
        answer = await sign_in_with_upstream(browser, "uma")
        assert answer.status_code == 403, answer.text
        assert "may not sign in here" in text_of(answer)
        assert await local_usernames(app) == []

    async def test_a_person_of_a_listed_domain_signs_in(
        self, app: Starlette, upstream: Upstream, browser: httpx.AsyncClient
    ) -> None:
        await upstream.person("uma", "uma@corp.example")
        answer = await sign_in_with_upstream(browser, "uma")
        assert answer.status_code == 303, answer.text
        assert await local_usernames(app) == ["uma"]


class TestAllowedEmailsFromTheCommandLine:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        # `--option WHITELISTED_EMAILS=a@x,b@y` arrives as one comma-separated string.
        return _with_options(settings, WHITELISTED_EMAILS="boss@corp.example, Uma@Corp.example")

    async def test_a_listed_address_signs_in_and_another_is_refused(
        self, app: Starlette, upstream: Upstream, browser: httpx.AsyncClient, new_browser: Any
    ) -> None:
        await upstream.person("uma", "uma@corp.example")
        assert (await sign_in_with_upstream(browser, "uma")).status_code == 303
        await upstream.person("eve", "eve@corp.example")
        async with new_browser() as other:
            assert (await sign_in_with_upstream(other, "eve")).status_code == 403
        assert await local_usernames(app) == ["uma"]
