"""What a user agreed to let a client have: scopes (RFC 6749 §3.3), and the claims about the
user it asked for by name with the ``claims`` parameter (OIDC Core §5.5), which can reach
beyond what the scopes name and so are agreed to one by one."""

from __future__ import annotations

from dataclasses import dataclass

from stint.protocol.oidc.claims import USER_CLAIMS, ClaimsRequest, scope_claims

__all__ = ["Consent"]


@dataclass(frozen=True, slots=True)
class Consent:
    scopes: frozenset[str] = frozenset()
    claims: frozenset[str] = frozenset()  # user claims named beyond those the scopes name

    @classmethod
    def asked(cls, scopes: frozenset[str], claims: ClaimsRequest) -> Consent:
        """What a request asks the user to agree to."""
        return cls(scopes, (claims.names & USER_CLAIMS) - scope_claims(scopes))

    def covers(self, other: Consent) -> bool:
        """Whether agreeing to this agreed to ``other`` as well: a consented scope covers the
        claims it names (§5.4), whether asked for by scope or by name."""
        agreed_claims = self.claims | scope_claims(self.scopes)
        return other.scopes <= self.scopes and other.claims <= agreed_claims

    def __or__(self, other: Consent) -> Consent:
        return Consent(self.scopes | other.scopes, self.claims | other.claims)
