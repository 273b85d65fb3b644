"""SqlUpstreamIdentityStore: upstream identities linked to accounts, tokens sealed at rest."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from stint.accounts.models import LinkedIdentity
from stint.accounts.ports import IdentityTakenError, LastIdentityError
from stint.storage.database import Database, is_unique_violation
from stint.storage.sealing import UPSTREAM_TOKENS, Sealer
from stint.storage.tables import upstream_identities, users

__all__ = ["SqlUpstreamIdentityStore"]

_i = upstream_identities.c
_COLUMNS = (
    _i.id,
    _i.provider,
    _i.uid,
    _i.user_id,
    _i.display,
    _i.extra_data,
    _i.linked_at,
    _i.last_used_at,
)
_BY_PROVIDER_UID = select(*_COLUMNS).where(
    _i.provider == bindparam("provider"), _i.uid == bindparam("uid")
)
_FOR_USER = select(*_COLUMNS).where(_i.user_id == bindparam("user_id")).order_by(_i.id)
_COUNT = select(func.count()).where(_i.user_id == bindparam("user_id"))
_TOKENS = select(_i.provider, _i.uid, _i.sealed_tokens).where(_i.id == bindparam("id"))


def _identity(row: Any) -> LinkedIdentity:
    values = list(row)
    values[5] = orjson.loads(values[5] or "{}")
    return LinkedIdentity(*values)


def _context(provider: str, uid: str) -> str:
    """The row key sealed tokens are bound to: they open in no other identity's row."""
    return f"{provider}\0{uid}"


class SqlUpstreamIdentityStore:
    def __init__(
        self,
        db: Database,
        instance_secret: bytes,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._sealer = Sealer(instance_secret, UPSTREAM_TOKENS)
        self._clock = clock

    async def link(
        self,
        user_id: int,
        provider: str,
        uid: str,
        *,
        display: str = "",
        extra_data: dict[str, Any] | None = None,
        tokens: dict[str, Any] | None = None,
    ) -> LinkedIdentity:
        values = {
            "user_id": user_id,
            "provider": provider,
            "uid": uid,
            "display": display[:255],
            "extra_data": orjson.dumps(extra_data or {}).decode(),
            "sealed_tokens": self._seal(provider, uid, tokens),
            "linked_at": self._clock(),
        }
        try:
            async with self._db.write() as conn:
                statement = upstream_identities.insert().values(**values).returning(*_COLUMNS)
                return _identity((await conn.execute(statement)).one())
        except IntegrityError as exc:
            if is_unique_violation(
                exc, "uq_upstream_identities_provider_uid", "upstream_identities", "provider", "uid"
            ):
                raise IdentityTakenError(f"{provider}:{uid}") from None
            raise

    async def by_provider_uid(self, provider: str, uid: str) -> LinkedIdentity | None:
        if "\x00" in provider + uid:  # none holds one: PostgreSQL text cannot even bind it
            return None
        row = await self._db.fetch_one(_BY_PROVIDER_UID, {"provider": provider, "uid": uid})
        return _identity(row) if row is not None else None

    async def for_user(self, user_id: int) -> list[LinkedIdentity]:
        return [_identity(row) for row in await self._db.fetch_all(_FOR_USER, {"user_id": user_id})]

    async def count_for_user(self, user_id: int) -> int:
        row = await self._db.fetch_one(_COUNT, {"user_id": user_id})
        return int(row[0]) if row is not None else 0

    async def update(
        self,
        identity_id: int,
        *,
        display: str,
        extra_data: dict[str, Any],
        tokens: dict[str, Any] | None,
    ) -> None:
        async with self._db.write() as conn:
            row = (await conn.execute(_TOKENS, {"id": identity_id})).first()
            if row is None:
                return
            await conn.execute(
                update(upstream_identities)
                .where(_i.id == identity_id)
                .values(
                    display=display[:255],
                    extra_data=orjson.dumps(extra_data).decode(),
                    sealed_tokens=self._seal(row[0], row[1], tokens),
                )
            )

    async def tokens(self, identity_id: int) -> dict[str, Any] | None:
        row = await self._db.fetch_one(_TOKENS, {"id": identity_id})
        if row is None or row[2] is None:
            return None
        opened: dict[str, Any] = orjson.loads(self._sealer.open(_context(row[0], row[1]), row[2]))
        return opened

    async def touch(self, identity_id: int, used_at: datetime) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                update(upstream_identities).where(_i.id == identity_id).values(last_used_at=used_at)
            )

    async def unlink(
        self,
        user_id: int,
        provider: str,
        uid: str,
        *,
        keep_last: bool,
        usable: Collection[str] | None = None,
    ) -> bool:
        async with self._db.write() as conn:
            # Lock the account first (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises
            # writers), so two unlinks at once count one after the other.
            await conn.execute(select(users.c.id).where(users.c.id == user_id).with_for_update())
            mine = (_i.user_id == user_id) & (_i.provider == provider) & (_i.uid == uid)
            found = (await conn.execute(select(_i.id).where(mine))).first()
            if found is None:
                return False
            if keep_last:
                others = (_i.user_id == user_id) & (_i.id != found[0])
                if usable is not None:  # a removed provider's identity signs no one in
                    others &= _i.provider.in_(list(usable))
                left = (await conn.execute(select(func.count()).where(others))).scalar()
                if not left:
                    raise LastIdentityError(f"{provider}:{uid}")
            await conn.execute(delete(upstream_identities).where(_i.id == found[0]))
        return True

    def _seal(self, provider: str, uid: str, tokens: dict[str, Any] | None) -> bytes | None:
        if not tokens:
            return None
        return self._sealer.seal(_context(provider, uid), orjson.dumps(tokens))
