"""SqlUpstreamProviderStore: providers added with `stint social add`, client secrets sealed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError

from stint.connectors.config import ProviderConfig
from stint.connectors.ports import ProviderExistsError
from stint.storage.database import Database, dialect_insert, is_unique_violation
from stint.storage.sealing import UPSTREAM_CLIENT_SECRETS, Sealer
from stint.storage.tables import upstream_providers

__all__ = ["SqlUpstreamProviderStore"]

_p = upstream_providers.c
_COLUMNS = (
    _p.name,
    _p.backend,
    _p.client_id,
    _p.sealed_client_secret,
    _p.issuer,
    _p.scope,
    _p.label,
    _p.auto_link_email,
    _p.store_tokens,
    _p.allow_sign_up,
    _p.options,
)
_GET = select(*_COLUMNS).where(_p.name == bindparam("name"))
_ALL = select(*_COLUMNS).order_by(_p.name)


class SqlUpstreamProviderStore:
    def __init__(
        self,
        db: Database,
        instance_secret: bytes,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._sealer = Sealer(instance_secret, UPSTREAM_CLIENT_SECRETS)
        self._clock = clock

    async def add(self, config: ProviderConfig, *, replace: bool = False) -> None:
        values = {
            "name": config.name,
            "backend": config.backend,
            "client_id": config.client_id,
            "sealed_client_secret": self._sealer.seal(config.name, config.client_secret.encode()),
            "issuer": config.issuer,
            "scope": orjson.dumps(list(config.scope)).decode(),
            "label": config.label,
            "auto_link_email": config.auto_link_email,
            "store_tokens": config.store_tokens,
            "allow_sign_up": config.allow_sign_up,
            "options": orjson.dumps(config.options).decode(),
            "created_at": self._clock(),
        }
        statement = dialect_insert(self._db.dialect)(upstream_providers).values(**values)
        if replace:
            changed = {k: v for k, v in values.items() if k not in ("name", "created_at")}
            statement = statement.on_conflict_do_update(index_elements=[_p.name], set_=changed)
        try:
            async with self._db.write() as conn:
                await conn.execute(statement)
        except IntegrityError as exc:
            if is_unique_violation(exc, "pk_upstream_providers", "upstream_providers", "name"):
                raise ProviderExistsError(config.name) from None
            raise

    async def get(self, name: str) -> ProviderConfig | None:
        if "\x00" in name:
            return None
        row = await self._db.fetch_one(_GET, {"name": name})
        return self._config(row) if row is not None else None

    async def list_all(self) -> list[ProviderConfig]:
        return [self._config(row) for row in await self._db.fetch_all(_ALL, {})]

    async def remove(self, name: str) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(delete(upstream_providers).where(_p.name == name))
        return result.rowcount == 1

    def _config(self, row: Any) -> ProviderConfig:
        return ProviderConfig(
            name=row[0],
            backend=row[1],
            client_id=row[2],
            client_secret=self._sealer.open(row[0], row[3]).decode(),
            issuer=row[4],
            scope=tuple(orjson.loads(row[5] or "[]")),
            label=row[6],
            auto_link_email=row[7],
            store_tokens=row[8],
            allow_sign_up=row[9],
            options=orjson.loads(row[10] or "{}"),
        )
