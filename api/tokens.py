"""Create, find and revoke personal API tokens: the only code that sees a token in clear.

A token is ``cba_`` followed by 43 URL-safe characters (256 random bits). Only its SHA-256 digest is
stored: a random secret that long needs no slow hash, and the lookup is one indexed query.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from api.models import ApiToken
from applications import audit

TOKEN_PREFIX = "cba_"
# The characters kept to recognise a token ("cba_" and the first eight of the secret).
SHOWN_CHARACTERS = len(TOKEN_PREFIX) + 8
# ``last_used_at`` is written at most this often per token: one UPDATE per request would make every
# scripted read a write.
LAST_USED_RESOLUTION = timedelta(seconds=60)
MAX_EXPIRY_DAYS = 3650


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # the whole token, to show once


@transaction.atomic
def create_token(*, user, name: str, expires_days: int | None = None, actor=None) -> NewToken:
    """A new token of ``user``, audited (its name, prefix and expiry; never the token)."""
    name = (name or "").strip() or "API token"
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRY_DAYS:
        raise ValueError(f"The expiry is a whole number of days from 1 to {MAX_EXPIRY_DAYS}.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=secret[:SHOWN_CHARACTERS], digest=digest_of(secret),
        expires_at=timezone.now() + timedelta(days=expires_days) if expires_days else None,
    )
    audit.record(actor=actor or user, action="create", object_type="api_token", obj=token,
                 changes={"name": [None, token.name], "user": [None, user.get_username()],
                          "expires_at": [None, token.expires_at.isoformat() if token.expires_at else None]},
                 message=f"API token {token} created for {user.get_username()}.")
    return NewToken(token=token, secret=secret)


@transaction.atomic
def revoke_token(*, token: ApiToken, actor) -> bool:
    """Revoke ``token`` (audited); False when it was revoked already."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return False
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(actor=actor, action="revoke", object_type="api_token", obj=token,
                 changes={"revoked_at": [None, token.revoked_at.isoformat()]},
                 message=f"API token {token} of {token.user.get_username()} revoked.")
    return True


def token_for(secret: str) -> ApiToken | None:
    """The usable token whose secret this is (with its user), else None: unknown, revoked or expired."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(digest=digest_of(secret)).first()
    if token is None or not token.is_usable():
        return None
    return token


def note_use(token: ApiToken) -> None:
    """Record that ``token`` was used now (at most once per ``LAST_USED_RESOLUTION``)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
