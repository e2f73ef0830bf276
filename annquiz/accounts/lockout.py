"""The answer to a log-in refused by django-axes' lockout (``AXES_LOCKOUT_CALLABLE``).

429 Too Many Requests with ``Retry-After``: the API's error shape under ``/api/``, a short
HTML page elsewhere (the log-in page). A try during the lockout starts the cool-off again
(axes' ``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT``), so the whole cool-off is what
remains.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape

from annquiz.core.api_errors import error_body

LOCKED_OUT_STATUS = 429


def retry_after_seconds() -> int:
    """Seconds until a locked-out username or address may try again."""
    return int(settings.ANNQUIZ_LOGIN_COOLOFF_SECONDS)


def lockout_message(seconds: int) -> str:
    return f"too many failed log-in attempts; try again in {seconds} seconds"


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    seconds = retry_after_seconds()
    message = lockout_message(seconds)
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(error_body(None, message), status=LOCKED_OUT_STATUS)
    else:
        response = HttpResponse(
            f"<!doctype html><title>Too many log-in attempts</title>"
            f"<p>{escape(message.capitalize())}.</p>",
            status=LOCKED_OUT_STATUS,
        )
    response["Retry-After"] = str(seconds)
    return response
