"""Fixtures of the mail tests: a real SMTP server that catches the mails, an app that sends to
it, and a clock the links' expiry follows."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest
from starlette.applications import Starlette

from stint.settings import Settings
from stint.web.app import FEATURES, FeatureBuilder, create_app
from stint.web.core import Core
from stint.web.features import Feature, email
from tests.conftest import FAST_HASHING
from tests.support.clock import Clock
from tests.support.smtp import MailCatcher, smtp_server


@pytest.fixture
def mailbox() -> Iterator[MailCatcher]:
    with smtp_server() as catcher:
        yield catcher


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 12, 6, 12, 0, tzinfo=UTC))


@pytest.fixture
def settings(settings: Settings, mailbox: MailCatcher) -> Settings:
    return settings.model_copy(update={"smtp_url": mailbox.url})


def _features(clock: Clock) -> tuple[FeatureBuilder, ...]:
    def email_feature(core: Core, settings: Settings) -> Feature:
        return email.build(core, email.EmailConfig.from_settings(settings), clock=clock)

    return tuple(email_feature if f is email.feature else f for f in FEATURES)


@pytest.fixture
async def app(settings: Settings, clock: Clock) -> AsyncIterator[Starlette]:
    application = create_app(settings, hashing=FAST_HASHING, features=_features(clock))
    async with application.router.lifespan_context(application):
        yield application
