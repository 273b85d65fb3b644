"""What the connector tests share: the outbound transport a sign-in's strategy gets."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from stint.outbound.transport import UpstreamTransport
from tests.support.upstreams.sign_in import upstream_transport


@pytest.fixture
async def transport() -> AsyncIterator[UpstreamTransport]:
    async with upstream_transport() as transport:
        yield transport
