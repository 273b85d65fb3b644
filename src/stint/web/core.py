"""The core every feature shares: database, keys, hashing, stores typed as ports, tokens, sessions.

``build_core`` makes it from the settings; nothing touches the database until ``start``.
Features (``stint.web.features``) take what they need from it and build only their own parts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stint.accounts.claims import AccountClaims
from stint.accounts.directory import AccountDirectory
from stint.accounts.passwords import PasswordHashing
from stint.accounts.ports import CounterStore
from stint.accounts.service import AccountService
from stint.accounts.throttle import LoginThrottle, ThrottleLimits
from stint.outbound.fetch import FetchPolicy, OutboundHttp
from stint.protocol.access_tokens import AccessTokenIssuer, AccessTokenVerifier
from stint.protocol.authorize.checks import CHECKS, Check
from stint.protocol.endpoints.revocation import RevocationEndpoint
from stint.protocol.grants import GrantHandler
from stint.protocol.keys import KeyRing
from stint.protocol.oidc.client_jwks import ClientJwks
from stint.protocol.oidc.id_token import IdTokenIssuer
from stint.protocol.oidc.ports import DocumentFetcher
from stint.protocol.oidc.subject import SubjectIdentifiers
from stint.protocol.ports import UserDirectory
from stint.protocol.revocation_cache import RevocationCache
from stint.protocol.revocations import RevocationKind
from stint.protocol.secrets import SecretHasher
from stint.protocol.token_validation import RevocationView, TokenValidator
from stint.protocol.tokens import TokenFactory
from stint.settings import Settings, read_or_create_secret
from stint.storage.client_store import SqlClientStore
from stint.storage.counter_store import SqlCounterStore
from stint.storage.database import Database
from stint.storage.key_store import KeySealer, SqlSigningKeyStore
from stint.storage.revocation_log import SqlRevocationLog
from stint.storage.revocation_push import RevocationPush, redis_publisher
from stint.storage.schema import SCHEMA_HEAD, schema_revision
from stint.storage.user_store import SqlUserStore
from stint.web.background import prune_revocations_forever, refresh_keys_forever
from stint.web.csrf import CsrfProtection
from stint.web.outbound_fetcher import OutboundDocumentFetcher
from stint.web.pages.common import PageContext
from stint.web.second_step import SecondStep
from stint.web.security import Authenticator
from stint.web.sessions import SessionManager
from stint.web.stores import OAuthStores, sql_oauth_stores
from stint.web.templating import Pages

__all__ = ["Core", "SchemaOutOfDateError", "build_core"]


class SchemaOutOfDateError(RuntimeError):
    """The database is not at the newest migration: run `stint migrate`."""


@dataclass
class Core:
    """What every feature shares, held open between start-up and shutdown (tests reach into it
    as ``app.state.runtime``)."""

    settings: Settings
    issuer: str
    secret: bytes = field(repr=False)
    db: Database
    keys: KeyRing
    key_store: SqlSigningKeyStore
    redis: Any  # redis.asyncio.Redis when configured; imported only then
    counters: CounterStore
    hasher: SecretHasher
    accounts: AccountService
    users: UserDirectory
    claims: AccountClaims
    oauth: OAuthStores
    access_tokens: AccessTokenIssuer
    verifier: AccessTokenVerifier
    tokens: TokenFactory
    revocation: RevocationEndpoint
    outbound: OutboundHttp
    fetcher: DocumentFetcher
    client_keys: ClientJwks
    id_tokens: IdTokenIssuer
    revocations: RevocationCache
    revocation_log: SqlRevocationLog
    push: RevocationPush
    # Builds the one token validator over a source of revocations (introspection reads the
    # database; the API and UserInfo, api_tokens, this worker's cache).
    token_validator: Callable[[RevocationView], TokenValidator]
    api_tokens: TokenValidator
    authenticate: Authenticator
    sessions: SessionManager
    csrf: CsrfProtection
    pages: PageContext
    # The token endpoint's grants, the authorization request's checks (CHECKS, then those of
    # other features) and the metadata documents: create_app adds the enabled features' parts
    # once all are built.
    grants: dict[str, GrantHandler] = field(default_factory=dict)
    authorize_checks: list[Check] = field(default_factory=lambda: list(CHECKS))
    metadata: dict[str, Any] = field(default_factory=dict)  # RFC 8414 §2
    discovery: dict[str, Any] = field(default_factory=dict)  # OIDC Discovery §3, beyond RFC 8414
    _tasks: list[asyncio.Task[None]] = field(default_factory=list, repr=False)

    async def start(self) -> None:
        """Check the schema, load keys and revocations, start the background work."""
        revision = await schema_revision(self.db)
        if revision != SCHEMA_HEAD:
            await self.db.dispose()
            raise SchemaOutOfDateError(
                f"the database is at migration {revision or 'none'}, not {SCHEMA_HEAD}: "
                "run `stint migrate` first"
            )
        await self.keys.reload()
        await self.revocations.catch_up()  # everything revoked so far, before the first request
        self._tasks.append(
            asyncio.create_task(refresh_keys_forever(self.keys, self.settings.key_refresh_seconds))
        )
        self.push.start(database_url=self.db.url, redis=self.redis)
        self._tasks.append(asyncio.create_task(prune_revocations_forever(self.revocation_log)))
        self._tasks.append(asyncio.create_task(self.sessions.end_expired_forever()))

    async def stop(self) -> None:
        """Stop the background work, then close every connection."""
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
        await self.push.aclose()
        await self.revocations.settle()
        await self.outbound.aclose()
        if self.redis is not None:
            await self.redis.aclose()
        await self.db.dispose()


def build_core(settings: Settings, *, hashing: PasswordHashing | None = None) -> Core:
    """Build what every feature shares. Nothing touches the database until ``Core.start``."""
    secret = read_or_create_secret(settings)
    secure_cookies = settings.effective_issuer.startswith("https://")
    db = Database(settings.effective_database_url)
    key_store = SqlSigningKeyStore(db, KeySealer(secret))
    keys = KeyRing(key_store.load_or_create)
    redis: Any = None
    # Throttling counts are shared by every worker and host: in Redis, else in the database.
    counters: CounterStore = SqlCounterStore(db)
    if settings.redis_url:
        from redis.asyncio import Redis  # only deployments that use Redis pay for importing it

        from stint.storage.redis_counters import RedisCounterStore

        redis = Redis.from_url(settings.redis_url)
        counters = RedisCounterStore(redis)
    issuer = settings.effective_issuer
    audience = f"{issuer}/api"
    hasher = SecretHasher(secret)
    limits = ThrottleLimits(
        failures_per_account_and_ip=settings.login_failures_per_account,
        failures_per_ip=settings.login_failures_per_ip,
        window_seconds=settings.login_failure_window_seconds,
        backoff_base_seconds=settings.login_backoff_base_seconds,
        account_ceiling=settings.login_account_failure_ceiling,
    )
    # Every revocation (token, grant, client, account) is recorded here and followed by every
    # worker: see stint.protocol.revocation_cache.
    revocation_log = SqlRevocationLog(db, keep_seconds=settings.access_token_ttl)
    if redis is not None:
        revocation_log.publish_with(redis_publisher(redis))
    user_store = SqlUserStore(db, revocation_log)
    accounts = AccountService(
        user_store,
        hashing or PasswordHashing(),
        LoginThrottle(counters, limits),
        cache_key=secret,
        hash_concurrency=settings.password_hash_concurrency,
        credential_cache_seconds=settings.basic_auth_cache_seconds,
        user_cache_seconds=settings.account_status_cache_seconds,
    )
    clients = SqlClientStore(
        db, cache_seconds=settings.client_cache_seconds, revocation_log=revocation_log
    )
    oauth = sql_oauth_stores(db, revocation_log, clients, secret)
    access_tokens = AccessTokenIssuer(
        keys, issuer=issuer, audience=audience, ttl=settings.access_token_ttl
    )
    verifier = AccessTokenVerifier(keys, issuer=issuer, audience=audience)
    tokens = TokenFactory(
        access_tokens,
        oauth.grants,
        oauth.refresh_tokens,
        oauth.opaque_tokens,
        hasher,
        refresh_ttl=settings.refresh_token_ttl,
    )
    outbound = OutboundHttp(
        FetchPolicy(
            timeout_seconds=settings.outbound_timeout_seconds,
            allow_private_addresses=settings.effective_outbound_allow_private,
            require_https=settings.environment == "production",
        )
    )
    fetcher = OutboundDocumentFetcher(outbound)
    client_keys = ClientJwks(fetcher)
    claims = AccountClaims(user_store)
    id_tokens = IdTokenIssuer(
        keys,
        issuer=issuer,
        ttl=settings.id_token_ttl,
        subjects=SubjectIdentifiers(secret),
        claims_source=claims,
        client_keys=client_keys,
    )
    revocations = RevocationCache(revocation_log, poll_seconds=settings.revocation_cache_seconds)
    # This worker refuses what it revoked at once: applied when the transaction commits.
    revocation_log.on_commit(revocations.apply)
    revocations.subscribe(RevocationKind.CLIENT, clients.forget)
    revocations.subscribe(RevocationKind.USER, lambda user_id: accounts.forget(int(user_id)))
    users = AccountDirectory(accounts)

    def token_validator(revoked: RevocationView) -> TokenValidator:
        return TokenValidator(
            verifier,
            revoked,
            opaque_tokens=oauth.opaque_tokens,
            grants=oauth.grants,
            clients=oauth.clients,
            users=users,
            hasher=hasher,
        )

    # One rule for every token check (stint.protocol.token_validation); the API and UserInfo
    # answer from this worker's revocation cache.
    api_tokens = token_validator(revocations)
    sessions = SessionManager(
        oauth.sessions, hasher, ttl_seconds=settings.session_ttl_seconds, secure=secure_cookies
    )
    csrf = CsrfProtection(secret, secure=secure_cookies, session_cookie=sessions.cookie)
    return Core(
        settings=settings,
        issuer=issuer,
        secret=secret,
        db=db,
        keys=keys,
        key_store=key_store,
        redis=redis,
        counters=counters,
        hasher=hasher,
        accounts=accounts,
        users=users,
        claims=claims,
        oauth=oauth,
        access_tokens=access_tokens,
        verifier=verifier,
        tokens=tokens,
        revocation=RevocationEndpoint(oauth.clients, hasher, oauth.records, verifier),
        outbound=outbound,
        fetcher=fetcher,
        client_keys=client_keys,
        id_tokens=id_tokens,
        revocations=revocations,
        revocation_log=revocation_log,
        push=RevocationPush(revocations.catch_up),
        token_validator=token_validator,
        api_tokens=api_tokens,
        authenticate=Authenticator(accounts, api_tokens),
        sessions=sessions,
        csrf=csrf,
        pages=PageContext(
            pages=Pages(csrf),
            sessions=sessions,
            accounts=accounts,
            second_step=SecondStep(secret, sessions, csrf, secure=secure_cookies),
        ),
    )
