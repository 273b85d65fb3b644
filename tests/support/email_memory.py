"""An in-memory EmailLinkStore, held to the same contract as SqlEmailLinkStore."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from stint.accounts.email_links import EmailLink

__all__ = ["MemoryEmailLinks"]


class MemoryEmailLinks:
    def __init__(self) -> None:
        self.links: dict[str, EmailLink] = {}

    async def add(self, link: EmailLink) -> None:
        self.links[link.token_hash] = link

    async def find(self, token_hash: str) -> EmailLink | None:
        return self.links.get(token_hash)

    async def use(self, token_hash: str, now: datetime) -> EmailLink | None:
        link = self.links.get(token_hash)
        if link is None or link.used_at is not None or link.expires_at <= now:
            return None
        for other in list(self.links.values()):
            if (
                other.user_id == link.user_id
                and other.purpose is link.purpose
                and other.used_at is None
            ):
                self.links[other.token_hash] = replace(other, used_at=now)
        return self.links[token_hash]
