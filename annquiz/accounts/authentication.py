"""``Authorization: Token <key>`` with an expiry (``ANNQUIZ_TOKEN_TTL_HOURS``, see tokens.py).

DRF's TokenAuthentication, refusing a token older than its lifetime with 401 and a message
saying it expired and how to get a new one.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from annquiz.accounts.tokens import token_expired_message, token_is_expired


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        user, token = super().authenticate_credentials(key)
        if token_is_expired(token):
            raise exceptions.AuthenticationFailed(token_expired_message(token))
        return user, token
