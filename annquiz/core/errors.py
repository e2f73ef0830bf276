"""The base of every domain error a service raises; the API maps it to its HTTP status."""

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
    def headers(self) -> dict[str, str]:
        return {}
