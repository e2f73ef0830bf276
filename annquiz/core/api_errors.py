"""The API's one error shape and the one handler that gives it to every error.

Every error is ``{"error": {"field": <name or null>, "message": <text>}}`` with a 4xx status:
a ``ServiceError`` with its own status and headers (400 bad input naming the field, 403 a
variant of another student, 404 an inactive question, 409 Conflict when every attempt is used,
429 too many submissions with ``Retry-After``); and from the framework 400 bad input, 401 not
logged in, 404 unknown object (or no such URL under ``/api/``), 413 a request body over the
limit, 415 a body that is not JSON.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from annquiz.core.errors import ServiceError
from training.validation import shorten


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "the request body is too large"
    default_code = "request_too_large"


# However long the input an error quotes, the body stays short.
MAX_FIELD_CHARS = 100
MAX_MESSAGE_CHARS = 2_000


def error_body(field: str | None, message: str) -> dict[str, dict[str, str | None]]:
    """The body of every API error: ``{"error": {"field": ..., "message": ...}}``, the field
    and message shortened (``training.validation.shorten``) should they quote a huge input."""
    return {
        "error": {
            "field": None if field is None else shorten(field, MAX_FIELD_CHARS),
            "message": shorten(message, MAX_MESSAGE_CHARS),
        }
    }


def _error(field: str | None, message: str, code: int) -> Response:
    return Response(error_body(field, message), status=code)


def _first_problem(detail: Any, field: str | None = None) -> tuple[str | None, str]:
    """The first (field, message) in a DRF error detail, nested fields joined with dots."""
    if isinstance(detail, dict) and detail:
        name, value = next(iter(detail.items()))
        if name in ("non_field_errors", "detail"):
            return _first_problem(value, field)
        return _first_problem(value, f"{field}.{name}" if field else str(name))
    if isinstance(detail, list) and detail:
        return _first_problem(detail[0], field)
    return field, str(detail)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error in one shape: ``{"error": {"field": ..., "message": ...}}``."""
    if isinstance(exc, ServiceError):
        refused = _error(exc.request_field, exc.message, exc.status_code)
        for name, value in exc.headers.items():
            refused[name] = value
        return refused
    if isinstance(exc, Http404):
        return _error(None, str(exc) or "not found", status.HTTP_404_NOT_FOUND)
    if isinstance(exc, PermissionDenied):
        return _error(None, str(exc) or "permission denied", status.HTTP_403_FORBIDDEN)
    if isinstance(exc, RequestDataTooBig):
        # Django's own limit on a body it reads (e.g. one sent without Content-Length).
        return _error(
            "body", "the request body is too large", status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        )
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return _error("body", str(exc) or "too many fields", status.HTTP_400_BAD_REQUEST)
    response = exception_handler(exc, context)
    if response is None:
        return None
    field: str | None
    if isinstance(exc, exceptions.ParseError):
        field, message = "body", f"malformed JSON: {exc.detail}"
    elif isinstance(exc, RequestTooLarge | exceptions.UnsupportedMediaType):
        field, message = "body", str(exc.detail)
    elif isinstance(exc, exceptions.ValidationError):
        field, message = _first_problem(exc.detail)
    else:
        field, message = None, str(getattr(exc, "detail", exc))
    response.data = error_body(field, message)
    return response


@csrf_exempt
def not_found(request: HttpRequest) -> JsonResponse:
    """Any URL under ``/api/`` that names no endpoint, in the API's error shape (any method)."""
    return JsonResponse(
        error_body(None, f"no API endpoint at {request.path!r}"), status=status.HTTP_404_NOT_FOUND
    )


ERROR_SCHEMA = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorDetail",
            fields={
                "field": serializers.CharField(allow_null=True),
                "message": serializers.CharField(),
            },
        )
    },
)


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """The OpenAPI responses of an endpoint's error statuses, all in the one error shape."""
    descriptions = {
        400: "bad input; `field` names what is wrong (for a list: a `page` that is not a number)",
        401: "not logged in",
        403: "a variant of another student",
        404: "unknown or inactive (for a list: a page past the last one)",
        409: "Conflict: every attempt is used (or an Idempotency-Key reused for another body)",
        413: "request body too large",
        415: "the body is not JSON",
        429: "too many submissions: wait the seconds in the Retry-After header",
    }
    return {code: OpenApiResponse(ERROR_SCHEMA, description=descriptions[code]) for code in codes}
