"""The one family of domain errors a service raises: each carries its HTTP status and headers.

The API answers any of them with ``core.api_errors.api_exception_handler``; an HTML page
shows one with ``core.page_errors.page_error``. Each app defines its own errors on this base
(``courses/errors.py``, ``coding/errors.py``); the errors both apps raise live here.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A request the service refuses: ``field`` names what is wrong (or None).

    ``status_code`` is the HTTP status the API answers with; ``headers`` any extra response
    headers (``Retry-After`` for a rate limit).
    """

    status_code: int = 400
    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field

    @property
    def request_field(self) -> str | None:
        """``field`` as the request body names it (the API's ``error.field``)."""
        return self.field

    @property
    def headers(self) -> dict[str, str]:
        return {}


class AttemptsExhausted(ServiceError):
    """Every attempt allowed is used (409 Conflict); ``field`` names what was attempted
    (``"question"``, ``"task"``)."""

    status_code = 409


class NotEnrolled(ServiceError):
    """The user is in no course (offering) that holds what they work on (404, the same as
    for something missing)."""

    status_code = 404
