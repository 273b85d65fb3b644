"""Feature modules: each builds, from the core and its own settings, what it adds to the app.

A feature module has one function, ``feature(core, settings) -> Feature``. ``create_app`` calls
each in turn and combines the parts; a feature the settings switch off returns ``Feature()``,
which mounts nothing. A feature that reads settings declares the slice it reads as a frozen
``XxxConfig`` with ``from_settings``, and builds from that alone (``build(core, config)``), so
a test can build it from a slice. Feature modules never import each other (import-linter
checks): what two of them share lives in ``stint.web.core``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from stint.protocol.authorize.checks import Check
from stint.protocol.grants import GrantHandler

__all__ = ["Feature", "Hook"]

Hook = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Feature:
    """What one feature adds to the app; the default, an empty one, adds nothing."""

    routes: Sequence[BaseRoute] = ()  # tried in the order of the features, then of this list
    middleware: Sequence[Middleware] = ()  # inside the app's own (security headers, body size)
    grants: Mapping[str, GrantHandler] = field(default_factory=dict)  # for the token endpoint
    authorize_checks: Sequence[Check] = ()  # appended to the authorization request's checks
    metadata: Mapping[str, Any] = field(default_factory=dict)  # RFC 8414 §2, lists are merged
    discovery: Mapping[str, Any] = field(default_factory=dict)  # OIDC Discovery §3 beyond those
    on_start: Sequence[Hook] = ()  # after the core started, in the order of the features
    on_stop: Sequence[Hook] = ()  # before the core stops, in the reverse order
    state: Mapping[str, Any] = field(default_factory=dict)  # app.state attributes
    # Paths where an unexpected error is RFC 6749 §5.2 server_error JSON, not a problem document.
    oauth_error_paths: Sequence[str] = ()
