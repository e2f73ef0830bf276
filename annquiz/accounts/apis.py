"""REST API of accounts: a token for ``Authorization: Token ...`` (``/api/v1/auth/token/``)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, MultiPartParser

from annquiz.core.api import ApiMixin, BoundedJSONParser
from annquiz.core.api_errors import error_responses


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
    },
)
class AuthTokenApi(ApiMixin, ObtainAuthToken):
    """``POST {"username", "password"}`` → ``{"token": ...}`` for ``Authorization: Token ...``."""

    parser_classes = (FormParser, MultiPartParser, BoundedJSONParser)
    max_body_bytes = 16 * 1024
