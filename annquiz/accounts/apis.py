"""REST API of accounts: a token for ``Authorization: Token ...`` (``/api/v1/auth/token/``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, MultiPartParser

from annquiz.core.api import ApiMixin, BoundedJSONParser
from annquiz.core.api_errors import ERROR_SCHEMA, error_responses


@extend_schema(
    request=inline_serializer(
        name="TokenRequest",
        fields={
            "username": serializers.CharField(min_length=1, max_length=150),
            "password": serializers.CharField(min_length=1, max_length=4096),
        },
    ),
    responses={
        200: inline_serializer(name="Token", fields={"token": serializers.CharField()}),
        **error_responses(400, 413, 415),
        429: OpenApiResponse(
            ERROR_SCHEMA,
            description="too many failed log-ins for the username or from the address: "
            "wait the seconds in the Retry-After header",
        ),
    },
)
class AuthTokenApi(ApiMixin, ObtainAuthToken):
    """``POST {"username", "password"}`` → ``{"token": ...}`` for ``Authorization: Token ...``.

    Too many wrong passwords for a username or from an address: 429 with ``Retry-After``
    (``accounts/lockout.py``).
    """

    parser_classes = (FormParser, MultiPartParser, BoundedJSONParser)
    max_body_bytes = 16 * 1024

    def get_serializer_context(self) -> dict[str, Any]:
        # authenticate() gets Django's request, not DRF's wrapper: axes marks a lockout on
        # it, where its middleware looks to answer 429.
        return {**super().get_serializer_context(), "request": self.request._request}
