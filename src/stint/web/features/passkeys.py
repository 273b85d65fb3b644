"""Passkeys (WebAuthn): enrol on /account/security, sign in with no password, or use one as
the second factor after a password. The relying party is the issuer: its host is the RP ID and
its origin the only origin a ceremony may come from (WebAuthn L3 §5.1.4.1, §7.1 step 9)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from stint.accounts.passkeys import ChallengeStore, PasskeyStore
from stint.accounts.webauthn import WebAuthnCeremonies
from stint.settings import Settings
from stint.storage.passkey_store import SqlPasskeyStore
from stint.storage.webauthn_challenge_store import SqlChallengeStore
from stint.web.core import Core
from stint.web.features import Feature
from stint.web.passkeys.context import PasskeyContext
from stint.web.passkeys.enrol import enrol_routes, security_section
from stint.web.passkeys.second_factor import passkey_second_factor, second_factor_routes
from stint.web.passkeys.sign_in import sign_in_button, sign_in_routes

__all__ = ["PasskeyConfig", "PasskeyStores", "build", "feature"]


@dataclass(frozen=True, slots=True)
class PasskeyConfig:
    """The relying party, from the issuer."""

    origin: str  # scheme://host[:port]
    rp_id: str  # the issuer's host: a passkey works for this host (and no sibling's)
    rp_name: str = "Stint"

    @classmethod
    def from_settings(cls, settings: Settings) -> PasskeyConfig:
        issuer = urlsplit(settings.effective_issuer)
        return cls(origin=f"{issuer.scheme}://{issuer.netloc}", rp_id=issuer.hostname or "")


@dataclass(frozen=True, slots=True)
class PasskeyStores:
    passkeys: PasskeyStore
    challenges: ChallengeStore


def feature(core: Core, settings: Settings) -> Feature:
    return build(core, PasskeyConfig.from_settings(settings))


def build(core: Core, config: PasskeyConfig, *, stores: PasskeyStores | None = None) -> Feature:
    stores = stores or PasskeyStores(
        SqlPasskeyStore(core.db), SqlChallengeStore(core.db, core.secret)
    )
    ceremonies = WebAuthnCeremonies(
        stores.passkeys,
        stores.challenges,
        origin=config.origin,
        rp_id=config.rp_id,
        rp_name=config.rp_name,
        user_handle_key=core.secret,
    )
    passkeys = PasskeyContext(pages=core.pages, ceremonies=ceremonies, counters=core.counters)

    core.pages.sign_in_extras.append(
        lambda request, next_url: sign_in_button(passkeys, request, next_url)
    )
    core.pages.security_sections.append(
        lambda request, user: security_section(passkeys, request, user)
    )
    core.pages.second_factors.append(passkey_second_factor(passkeys))
    return Feature(
        routes=[
            *sign_in_routes(passkeys),
            *second_factor_routes(passkeys),
            *enrol_routes(passkeys),
        ],
        state={"passkeys": ceremonies},
    )
