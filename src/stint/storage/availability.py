"""Whether an error means the database (or Redis) cannot be reached now: down, restarting, lost.

Such a request did nothing wrong and may succeed when retried: the web layer answers 503.
"""

from __future__ import annotations

import sys

from asyncpg import exceptions as pg
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

__all__ = ["is_unavailable"]

# Raised by asyncpg itself while connecting, before SQLAlchemy can wrap anything.
_DRIVER_UNAVAILABLE = (
    pg.PostgresConnectionError,
    pg.InterfaceError,
    pg.OperatorInterventionError,  # 57P01 admin shutdown, 57P03 cannot connect now, ...
    pg.InsufficientResourcesError,  # 53300 too many connections
)


def is_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError):
        # OperationalError: refused, reset, "database is locked"; InterfaceError: a closed
        # connection; any other DBAPI error after which the pool dropped its connection.
        return isinstance(exc, OperationalError | InterfaceError) or exc.connection_invalidated
    # Redis is imported only by deployments that configure it: look for it, never import it.
    redis_errors = sys.modules.get("redis.exceptions")
    if redis_errors is not None and isinstance(
        exc, redis_errors.ConnectionError | redis_errors.TimeoutError
    ):
        return True
    # OSError: connection refused or reset, DNS, TimeoutError (asyncio's is one since 3.11).
    return isinstance(exc, (OSError, *_DRIVER_UNAVAILABLE))
