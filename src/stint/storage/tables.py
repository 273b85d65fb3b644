"""The schema. Alembic migrations create it; nothing calls ``create_all`` outside tests."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from stint.storage.types import UTCDateTime

__all__ = [
    "activities",
    "authorization_codes",
    "backchannel_requests",
    "clients",
    "consents",
    "device_authorizations",
    "grants",
    "login_counters",
    "logout_deliveries",
    "metadata",
    "opaque_access_tokens",
    "passkeys",
    "recovery_codes",
    "refresh_tokens",
    "request_jtis",
    "revocation_events",
    "revoked_tokens",
    "session_clients",
    "sessions",
    "signing_keys",
    "time_entries",
    "totp_credentials",
    "upstream_identities",
    "upstream_providers",
    "upstream_sign_ins",
    "users",
    "webauthn_challenges",
]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(32), nullable=False),
    Column("username_key", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("disabled", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", UTCDateTime, nullable=False),
    # OpenID Connect standard claims (Core §5.1) as a JSON object; updated_at is its own column.
    Column("profile", Text, nullable=False, server_default="{}"),
    Column("profile_updated_at", UTCDateTime, nullable=True),
    # The profile's email, NFKC case-folded: finds the accounts an upstream sign-in's address
    # belongs to. Not unique: profiles never required distinct addresses.
    Column("email_key", Text, nullable=True),
    Index(None, "email_key"),
)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("alg", String(16), nullable=False),
    Column("sealed_private_jwk", LargeBinary, nullable=False),
    # Unique, so that workers starting together cannot both create "the" current key.
    Column("active_slot", String(16), nullable=True, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    # Rotation: a key is published at once, signs from activates_at, leaves the JWKS at retires_at.
    Column("activates_at", UTCDateTime, nullable=True),
    Column("retires_at", UTCDateTime, nullable=True),
)

activities = Table(
    "activities",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("name_key", String(400), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("colour", String(7), nullable=True),
    Column("archived", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    UniqueConstraint("user_id", "name_key"),
    Index(None, "user_id", "id"),
)

time_entries = Table(
    "time_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("activity_id", ForeignKey("activities.id", ondelete="CASCADE"), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
    Column("note", Text, nullable=False, server_default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    Index(None, "user_id", "started_at", "id"),
    Index(None, "activity_id"),
    # At most one running timer per user, enforced by the database itself.
    Index(
        "uq_time_entries_one_running_per_user",
        "user_id",
        unique=True,
        sqlite_where=text("ended_at IS NULL"),
        postgresql_where=text("ended_at IS NULL"),
    ),
)


# OAuth 2.0: lists (redirect URIs, grant types, scopes) are stored space-separated; none of
# their members can contain a space.
clients = Table(
    "clients",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("client_type", String(16), nullable=False),
    Column("secret_hash", String(64), nullable=True),
    Column("redirect_uris", Text, nullable=False, server_default=""),
    Column("grant_types", Text, nullable=False, server_default=""),
    Column("scopes", Text, nullable=False, server_default=""),
    Column("token_endpoint_auth_method", String(32), nullable=False),
    Column("owner_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("opaque_access_tokens", Boolean, nullable=False, server_default=text("false")),
    Column("may_introspect", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", UTCDateTime, nullable=False),
    # OpenID Connect / RFC 7591 client metadata beyond the columns above, as a JSON object.
    Column("client_metadata", Text, nullable=False, server_default="{}"),
    Column("registration_token_hash", String(64), nullable=True),  # RFC 7592 §3
    Column("pairwise_sector", String(255), nullable=True),  # OIDC Core §8.1, set at registration
    Index(None, "owner_id"),
)

grants = Table(
    "grants",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("client_id", ForeignKey("clients.client_id", ondelete="CASCADE"), nullable=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("scopes", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("oidc", Text, nullable=True),  # the authentication behind the grant, as JSON
    Index(None, "user_id", "client_id"),
    Index(None, "revoked_at"),
)

authorization_codes = Table(
    "authorization_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("grant_id", ForeignKey("grants.id", ondelete="CASCADE"), nullable=False),
    Column("client_id", String(64), nullable=False),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("redirect_uri", Text, nullable=True),
    Column("scopes", Text, nullable=False),
    Column("code_challenge", String(128), nullable=True),
    Column("code_challenge_method", String(8), nullable=True),
    Column("nonce", String(512), nullable=True),
    Column("oidc", Text, nullable=True),
    Column("auth_time", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
    Index(None, "expires_at"),
)

# RFC 8628: device authorization requests, by the keyed hashes of their device and user codes.
device_authorizations = Table(
    "device_authorizations",
    metadata,
    Column("device_code_hash", String(64), primary_key=True),
    Column("user_code_hash", String(64), nullable=False, unique=True),
    Column("client_id", ForeignKey("clients.client_id", ondelete="CASCADE"), nullable=False),
    Column("scopes", Text, nullable=False),
    Column("status", String(16), nullable=False),  # pending, approved, denied, issued
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("grant_id", ForeignKey("grants.id", ondelete="CASCADE"), nullable=True),
    Column("oidc", Text, nullable=True),  # the approval's authentication, for the ID token
    Column("interval", Integer, nullable=False),  # seconds between polls, raised by slow_down
    Column("last_polled_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index(None, "expires_at"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("grant_id", ForeignKey("grants.id", ondelete="CASCADE"), nullable=False),
    Column("client_id", String(64), nullable=False),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("scopes", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("rotated_at", UTCDateTime, nullable=True),
    Index(None, "grant_id"),
)

opaque_access_tokens = Table(
    "opaque_access_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("grant_id", ForeignKey("grants.id", ondelete="CASCADE"), nullable=True),
    Column("client_id", String(64), nullable=False),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("username", String(32), nullable=False, server_default=""),
    Column("scopes", Text, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index(None, "expires_at"),
)

revoked_tokens = Table(
    "revoked_tokens",
    metadata,
    Column("jti", String(64), primary_key=True),
    Column("revoked_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index(None, "revoked_at"),
)

consents = Table(
    "consents",
    metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("client_id", ForeignKey("clients.client_id", ondelete="CASCADE"), primary_key=True),
    Column("scopes", Text, nullable=False),
    # Claims asked for by name (OIDC Core §5.5) beyond what the scopes name, space-separated.
    Column("claims", Text, nullable=False, server_default=""),
    Column("granted_at", UTCDateTime, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("auth_time", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("user_agent", String(200), nullable=False, server_default=""),
    # OpenID Connect: the public session id (``sid``) and how the user authenticated.
    Column("sid", String(64), nullable=True, unique=True),
    Column("amr", String(64), nullable=False, server_default="pwd"),
    Column("acr", String(64), nullable=False, server_default=""),
    Index(None, "user_id"),
)

# The clients that received an ID token in a browser session: back-channel logout tells them.
session_clients = Table(
    "session_clients",
    metadata,
    Column("sid", String(64), primary_key=True),
    Column("client_id", ForeignKey("clients.client_id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# Back-channel logout tokens still to be delivered (OIDC Back-Channel Logout §2.5), with retries.
logout_deliveries = Table(
    "logout_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", ForeignKey("clients.client_id", ondelete="CASCADE"), nullable=False),
    Column("uri", Text, nullable=False),
    Column("logout_token", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime, nullable=True),
    Column("last_error", String(200), nullable=False, server_default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Index(None, "delivered_at", "next_attempt_at"),
)

# Sign-in throttling counters when no Redis is configured: fixed windows, keyed by a hash of the
# counter's name (it holds usernames and addresses).
login_counters = Table(
    "login_counters",
    metadata,
    Column("key_hash", String(64), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index(None, "expires_at"),
)

# Every revocation, in the order the database commits them: workers read what is new by ``id``
# (assigned by the database), never by comparing host clocks. Kept until ``expires_at``, when the
# revoked tokens would have expired anyway.
revocation_events = Table(
    "revocation_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # jti, grant, client, user
    Column("value", String(128), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index(None, "expires_at"),
)

# Social login. An upstream identity is keyed by (provider, uid) and signs in to one account.
upstream_identities = Table(
    "upstream_identities",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("provider", String(64), nullable=False),
    Column("uid", String(255), nullable=False),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("display", String(255), nullable=False, server_default=""),
    Column("extra_data", Text, nullable=False, server_default="{}"),  # the backend's EXTRA_DATA
    # The upstream tokens, sealed: only when the operator enables storing them.
    Column("sealed_tokens", LargeBinary, nullable=True),
    Column("linked_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime, nullable=True),
    UniqueConstraint("provider", "uid"),
    Index(None, "user_id"),
)

# Providers added with `stint social add` (those of stint.toml live in the settings).
upstream_providers = Table(
    "upstream_providers",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("backend", String(255), nullable=False),
    Column("client_id", String(255), nullable=False),
    Column("sealed_client_secret", LargeBinary, nullable=False),
    Column("issuer", String(255), nullable=False, server_default=""),
    Column("scope", Text, nullable=False, server_default="[]"),  # JSON list
    Column("label", String(100), nullable=False, server_default=""),
    Column("auto_link_email", Boolean, nullable=False, server_default=text("false")),
    Column("store_tokens", Boolean, nullable=False, server_default=text("false")),
    Column("allow_sign_up", Boolean, nullable=False, server_default=text("true")),
    Column("options", Text, nullable=False, server_default="{}"),  # JSON object
    Column("created_at", UTCDateTime, nullable=False),
)

# Sign-ins on their way through a provider, from /login/<name>/ to /complete/<name>/: keyed by
# the hash of their state, taken once.
upstream_sign_ins = Table(
    "upstream_sign_ins",
    metadata,
    Column("state_hash", String(64), primary_key=True),
    Column("provider", String(64), nullable=False),
    Column("purpose", String(16), nullable=False),  # login, connect
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=True),  # connect
    Column("next_url", Text, nullable=False, server_default=""),
    # The backend's strategy.session (PKCE verifier, nonce, OAuth 1.0a request token), sealed.
    Column("sealed_session", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index(None, "expires_at"),
)

# CIBA Core §7: backchannel authentication requests, by the keyed hash of their auth_req_id.
backchannel_requests = Table(
    "backchannel_requests",
    metadata,
    Column("auth_req_id_hash", String(64), primary_key=True),
    Column("handle", String(32), nullable=False, unique=True),  # /approve's forms name it
    Column("client_id", ForeignKey("clients.client_id", ondelete="CASCADE"), nullable=False),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("scopes", Text, nullable=False),
    Column("delivery_mode", String(8), nullable=False),  # poll, ping, push
    Column("binding_message", String(256), nullable=True),
    Column("acr_values", Text, nullable=False, server_default=""),
    Column("claims", Text, nullable=True),  # an OIDC claims request, as JSON
    # Ping and push: the auth_req_id and client_notification_token, to call the client back.
    Column("sealed_notification", LargeBinary, nullable=True),
    Column("status", String(16), nullable=False),
    Column("grant_id", ForeignKey("grants.id", ondelete="CASCADE"), nullable=True),
    Column("oidc", Text, nullable=True),
    Column("poll_interval", Integer, nullable=False),
    Column("last_polled_at", UTCDateTime, nullable=True),
    Column("decided_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index(None, "user_id", "status"),
    Index(None, "expires_at"),
)

# CIBA Core §7.1.1: the jti of each signed request, until it expires: each is accepted once.
request_jtis = Table(
    "request_jtis",
    metadata,
    Column("jti_key", String(64), primary_key=True),  # SHA-256 of the issuer and the jti
    Column("expires_at", UTCDateTime, nullable=False),
    Index(None, "expires_at"),
)

# Links sent by mail (stint.accounts.email_links): only the HMAC of the token is kept.
email_links = Table(
    "email_links",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("purpose", String(32), nullable=False),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("email", String(320), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
    Index(None, "user_id", "purpose"),
    Index(None, "expires_at"),
)

# RFC 6238 second factor: the shared secret sealed (storage.sealing TOTP_SECRETS, bound to the
# user id); last_step, the newest time-step used, so a code works once.
totp_credentials = Table(
    "totp_credentials",
    metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("sealed_secret", LargeBinary, nullable=False),
    Column("confirmed", Boolean, nullable=False, server_default=text("false")),
    Column("last_step", BigInteger, nullable=False, server_default=text("0")),
    Column("created_at", UTCDateTime, nullable=False),
)

# Single-use codes standing in for a lost second factor, by their hash (HMAC, SecretHasher).
recovery_codes = Table(
    "recovery_codes",
    metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("code_hash", String(64), primary_key=True),
    Column("used_at", UTCDateTime, nullable=True),
)

# WebAuthn L3 §7.1 step 26: each credential id is registered once, to one account.
passkeys = Table(
    "passkeys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("credential_id", LargeBinary(1023), nullable=False, unique=True),  # §5.8.3: ≤ 1023
    Column("public_key", LargeBinary, nullable=False),  # COSE_Key: public, needs no sealing
    Column("sign_count", BigInteger, nullable=False, server_default=text("0")),
    Column("transports", String(255), nullable=False, server_default=""),  # space-separated
    Column("name", String(64), nullable=False),
    Column("device_bound", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime, nullable=True),
)

# WebAuthn L3 §13.4.3: each challenge is random, for one ceremony, taken once, short-lived.
webauthn_challenges = Table(
    "webauthn_challenges",
    metadata,
    Column("challenge_hash", String(64), primary_key=True),
    Column("purpose", String(16), nullable=False),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("expires_at", UTCDateTime, nullable=False),
    Index(None, "expires_at"),
)
