"""What every API view of the apps shares: the base mixin (error handler, body size limit),
the JSON parser, pagination and the logged-in student.

The error shape and its handler are in ``core.api_errors``; the URL root is
``annquiz/api_urls.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annquiz.core.api_errors import RequestTooLarge, api_exception_handler

# An answer is a few kilobytes at most (free text is capped at 5,000 characters); a larger
# body is refused before it is read or parsed. Endpoints that take more say so.
MAX_BODY_BYTES: int = getattr(settings, "ANNQUIZ_MAX_ANSWER_BODY_BYTES", 64 * 1024)


class BoundedJSONParser(JSONParser):
    """JSON, with absurdly deep nesting refused as a parse error rather than a crash.

    ``NaN``, ``Infinity`` and numbers too large for a float (``1e999``) are read as the float
    they stand for, not refused as an unreadable body: the field that holds one refuses it,
    naming itself (a float field, or ``core.serializers.FiniteJSONField``).
    """

    strict = False

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("the JSON is nested too deeply") from None


def _is_page_number(raw: str) -> bool:
    # Digits and not all zeros; a number past the last page is left to the paginator (404).
    return raw.isascii() and raw.isdigit() and raw.strip("0") != ""


class StrictPageNumberPagination(PageNumberPagination):
    """Page numbers, with a ``page`` that is not a positive integer refused as bad input (400)
    rather than taken for a page that does not exist (404, as a page past the last one is)."""

    def paginate_queryset(
        self, queryset: Any, request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and raw not in self.last_page_strings and not _is_page_number(raw):
            raise exceptions.ValidationError(
                {self.page_query_param: [f"{raw[:40]!r} is not a page number (1, 2, ...)"]}
            )
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {**parameter["schema"], "minimum": 1}
        return parameters


class ApiMixin:
    """Use ``api_exception_handler`` whatever the project-wide DRF settings are; refuse a body
    over ``max_body_bytes`` (by its Content-Length) before it is read or parsed."""

    max_body_bytes: int = MAX_BODY_BYTES

    def get_exception_handler(self) -> Callable[[Exception, dict[str, Any]], Response | None]:
        return api_exception_handler

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        _check_body_size(request, limit=self.max_body_bytes)


def _check_body_size(request: Request, *, limit: int) -> None:
    raw = request.META.get("CONTENT_LENGTH") or "0"
    try:
        length = int(raw)
    except ValueError:
        raise exceptions.ParseError(f"Content-Length {raw!r} is not a number") from None
    if length > limit:
        raise RequestTooLarge(
            f"the request body is {length} bytes; this endpoint takes at most {limit} bytes"
        )


def student_of(request: Request) -> AbstractBaseUser:
    """The logged-in user, or 401 Not Authenticated."""
    user = request.user
    if not isinstance(user, AbstractBaseUser) or not user.is_authenticated:
        raise exceptions.NotAuthenticated()
    return user
