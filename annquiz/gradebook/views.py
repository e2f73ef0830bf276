"""The gradebook's pages: thin views under ``/courses/<course_slug>/dashboard/gradebook/``.
Each fetches its course through ``dashboards.selectors.offering_get_for_teacher`` (the
course's instructors and staff; anyone else gets the 404 of a missing course)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods

from annquiz.core.page_errors import page_error
from annquiz.dashboards.bad_request import bad_request_page
from annquiz.dashboards.filters import BadFilter, Filters, filters_parse, group_check
from annquiz.dashboards.selectors import offering_get_for_teacher
from annquiz.dashboards.tables import table_csv
from annquiz.enrolment import selectors as enrolment
from annquiz.gradebook import exports, selectors, services
from annquiz.gradebook.errors import PolicyInvalid
from annquiz.gradebook.forms import PolicyForm

FIELD_LABELS = {
    "from": "From",
    "to": "To",
    "attempt": "Attempt",
    "group": "Group",
    "format": "Format",
}


@login_required
@require_GET
def gradebook(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Every student's score on every question and task by the course's grading policy;
    ``?format=csv`` and ``?format=json`` give the same numbers."""
    offering = offering_get_for_teacher(user=request.user, slug=course_slug)
    groups = enrolment.offering_groups(offering_id=offering.pk)
    try:
        filters = filters_parse(request.GET)
        group_check(filters, groups)
        shape = request.GET.get("format", "html")
        if shape not in ("html", "csv", "json"):
            raise BadFilter("must be html, csv or json", field="format")
    except BadFilter as exc:
        if request.GET.get("format") == "json":
            error = page_error(exc, field_labels=FIELD_LABELS)
            return JsonResponse({"detail": error.message, "field": exc.field}, status=error.status)
        return bad_request_page(request, offering, exc, FIELD_LABELS)
    book = selectors.gradebook_of(offering, filters)
    if shape == "json":
        return JsonResponse(exports.gradebook_json(book, offering=offering, filters=filters))
    if shape == "csv":
        response = HttpResponse(
            table_csv(exports.gradebook_table(book)), content_type="text/csv; charset=utf-8"
        )
        suffix = f"-{slugify(filters.group)}" if filters.group else ""
        response["Content-Disposition"] = (
            f'attachment; filename="{offering.slug}-gradebook{suffix}.csv"'
        )
        return response
    return render(
        request,
        "gradebook/gradebook.html",
        {"course": offering, "filters": filters, "groups": groups, "book": book},
    )


@login_required
@require_http_methods(["GET", "POST"])
def policy(request: HttpRequest, course_slug: str) -> HttpResponse:
    """The course's grading policy: which attempt counts, weights, late work."""
    offering = offering_get_for_teacher(user=request.user, slug=course_slug)
    current = selectors.policy_of(offering)
    lessons, tasks = selectors.content_of(offering)
    form_args = {"policy": current, "lessons": [x for x, _ in lessons], "tasks": tasks}
    status = 200
    if request.method == "POST":
        form = PolicyForm(request.POST, **form_args)  # type: ignore[arg-type]
        if form.is_valid():
            try:
                services.grading_policy_set(offering=offering, **form.policy_values())
            except PolicyInvalid as exc:
                field = exc.field if exc.field in form.fields else None
                form.add_error(field, exc.message)
            else:
                messages.success(request, "The grading policy is saved.")
                return redirect("gradebook:page", course_slug=offering.slug)
        status = 400
    else:
        form = PolicyForm(**form_args)  # type: ignore[arg-type]
    return render(
        request,
        "gradebook/policy.html",
        {"course": offering, "filters": Filters(), "form": form, "saved": current.pk is not None},
        status=status,
    )
