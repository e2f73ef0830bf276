"""REST API of accounts: a token for ``Authorization: Token ...`` (``/api/v1/auth/token/``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from annquiz.accounts.tokens import token_expires_at, token_issue
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
        200: inline_serializer(
            name="Token",
            fields={
                "token": serializers.CharField(),
                "expires": serializers.DateTimeField(
                    help_text="when the token stops working (ANNQUIZ_TOKEN_TTL_HOURS after "
                    "it was made); then ask for a new one"
                ),
            },
        ),
        **error_responses(400, 413, 415),
        429: OpenApiResponse(
            ERROR_SCHEMA,
            description="too many failed log-ins for the username or from the address: "
            "wait the seconds in the Retry-After header",
        ),
    },
)
class AuthTokenApi(ApiMixin, ObtainAuthToken):
    """``POST {"username", "password"}`` → ``{"token": ..., "expires": ...}`` for
    ``Authorization: Token ...``.

    The same token while it is valid; a new one once it has expired (``tokens.py``). Too many
    wrong passwords for a username or from an address: 429 with ``Retry-After``
    (``accounts/lockout.py``).
    """

    parser_classes = (FormParser, MultiPartParser, BoundedJSONParser)
    max_body_bytes = 16 * 1024

    def get_serializer_context(self) -> dict[str, Any]:
        # authenticate() gets Django's request, not DRF's wrapper: axes marks a lockout on
        # it, where its middleware looks to answer 429.
        return {**super().get_serializer_context(), "request": self.request._request}

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = token_issue(user=serializer.validated_data["user"])
        return Response({"token": token.key, "expires": token_expires_at(token).isoformat()})
