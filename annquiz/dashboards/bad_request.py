"""The 400 page of an instructor's page asked with a bad filter or format."""

from __future__ import annotations

from collections.abc import Mapping

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from annquiz.core.errors import ServiceError
from annquiz.core.page_errors import page_error
from annquiz.enrolment.models import Offering


def bad_request_page(
    request: HttpRequest, offering: Offering, exc: ServiceError, field_labels: Mapping[str, str]
) -> HttpResponse:
    """The course's dashboard frame with the message naming what is wrong."""
    error = page_error(exc, field_labels=field_labels)
    return render(
        request,
        "dashboards/bad_request.html",
        {"course": offering, "message": error.message},
        status=error.status,
    )
