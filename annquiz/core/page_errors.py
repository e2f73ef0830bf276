"""The HTML pages' one way of showing a ``ServiceError``: its message for the page and the
HTTP status to answer with (the same status the API gives it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from annquiz.core.errors import ServiceError


@dataclass(frozen=True)
class PageError:
    message: str
    status: int


def page_error(exc: ServiceError, *, field_labels: Mapping[str, str]) -> PageError:
    """Bad input (400) naming a field reads "Label: message", the field's label from
    ``field_labels`` (``choices[1]`` takes the label of ``choices``; a field without one is
    named as it is); any other error is its message with a capital first letter."""
    field = exc.field
    if exc.status_code == 400 and field is not None:
        label = field_labels.get(field.split("[", 1)[0], field)
        return PageError(f"{label}: {exc.message}", exc.status_code)
    return PageError(exc.message[:1].upper() + exc.message[1:], exc.status_code)
