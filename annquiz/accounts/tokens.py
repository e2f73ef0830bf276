"""API tokens: their lifetime, issuing, and revoking them all when the password changes.

A token is DRF's ``rest_framework.authtoken`` Token (one per user, ``Authorization: Token
<key>``). It is valid for ``ANNQUIZ_TOKEN_TTL_HOURS`` from when it was made (its ``created``),
whatever its use: asking for a token again while one is valid returns the same token and
expiry, and asking after it expired replaces it. ``authentication.ExpiringTokenAuthentication``
refuses an expired one; ``signals`` deletes every token of a user whose password changes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

TOKEN_URL = "/api/v1/auth/token/"  # nosec B105  # a URL path, not a secret


def token_lifetime() -> timedelta:
    return timedelta(hours=settings.ANNQUIZ_TOKEN_TTL_HOURS)


def token_expires_at(token: Token) -> datetime:
    return token.created + token_lifetime()


def token_is_expired(token: Token, *, now: datetime | None = None) -> bool:
    return (now or timezone.now()) >= token_expires_at(token)


def token_expired_message(token: Token) -> str:
    expired = token_expires_at(token).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"the token expired at {expired} (tokens last {settings.ANNQUIZ_TOKEN_TTL_HOURS} "
        f"hours); POST your username and password to {TOKEN_URL} for a new one"
    )


def token_issue(*, user: User) -> Token:
    """The user's token: the valid one they have, or a new one in place of an expired one."""
    token, created = Token.objects.get_or_create(user=user)
    if created or not token_is_expired(token):
        return token
    with transaction.atomic():
        Token.objects.filter(pk=token.pk).delete()
        # A concurrent request may have made the new one already: get_or_create then gets it.
        token, _ = Token.objects.get_or_create(user=user)
    return token


def tokens_revoke_for_user(*, user_id: int) -> int:
    """Delete every API token of the user; the number deleted."""
    deleted, _ = Token.objects.filter(user_id=user_id).delete()
    return deleted
