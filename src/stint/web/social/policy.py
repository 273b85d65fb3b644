"""The account-linking policy of one provider, from the operator's configuration of it."""

from __future__ import annotations

from typing import Any

from stint.accounts.linking import LinkingPolicy
from stint.connectors.config import ProviderConfig
from stint.web.social.providers import label_of

__all__ = ["ALLOWED_DOMAINS", "ALLOWED_EMAILS", "linking_policy"]

# python-social-auth's setting names (SOCIAL_AUTH_<BACKEND>_WHITELISTED_DOMAINS, ...), as a
# provider's options: a TOML list, or one comma-separated string from `--option KEY=a,b`.
ALLOWED_DOMAINS = "WHITELISTED_DOMAINS"
ALLOWED_EMAILS = "WHITELISTED_EMAILS"


def linking_policy(provider: ProviderConfig) -> LinkingPolicy:
    return LinkingPolicy(
        auto_link_email=provider.auto_link_email,
        store_tokens=provider.store_tokens,
        allow_sign_up=provider.allow_sign_up,
        label=label_of(provider),
        allowed_domains=_listed(provider.options.get(ALLOWED_DOMAINS)),
        allowed_emails=_listed(provider.options.get(ALLOWED_EMAILS)),
    )


def _listed(value: Any) -> frozenset[str]:
    items = value.split(",") if isinstance(value, str) else value or ()
    return frozenset(str(item).strip() for item in items if str(item).strip())
