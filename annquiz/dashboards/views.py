"""The instructors' dashboards: thin views. Each fetches its course through
``selectors.offering_get_for_teacher`` (instructors of the course and staff; anyone else gets
the 404 of a missing course), builds its page with ``reports`` and renders it, or sends one
of its tables as CSV with ``?format=csv&table=<key>``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from annquiz.dashboards import reports, selectors
from annquiz.dashboards.bad_request import bad_request_page
from annquiz.dashboards.filters import BadFilter, Filters, filters_parse, group_check
from annquiz.dashboards.item_statistics import ATTEMPT_POLICIES
from annquiz.dashboards.tables import table_csv
from annquiz.enrolment import selectors as enrolment
from annquiz.enrolment import services as enrolment_services
from annquiz.enrolment.errors import GroupInvalid
from annquiz.enrolment.models import Offering

FIELD_LABELS = {
    "from": "From",
    "to": "To",
    "attempt": "Attempt",
    "group": "Group",
    "table": "Table",
    "format": "Format",
}


def _respond(
    request: HttpRequest,
    course_slug: str,
    template: str,
    build: Callable[[Offering, Filters], tuple[reports.Page, dict[str, Any]]],
) -> HttpResponse:
    offering = selectors.offering_get_for_teacher(user=request.user, slug=course_slug)
    groups = enrolment.offering_groups(offering_id=offering.pk)
    try:
        filters = filters_parse(request.GET)
        group_check(filters, groups)
        page, context = build(offering, filters)
        if request.GET.get("format") == "csv":
            return _csv(request, offering, page)
        if request.GET.get("format", "html") != "html":
            raise BadFilter("must be html or csv", field="format")
    except BadFilter as exc:
        return bad_request_page(request, offering, exc, FIELD_LABELS)
    return render(
        request,
        template,
        {
            "course": offering,
            "filters": filters,
            "groups": groups,
            "policies": ATTEMPT_POLICIES,
            "page": page,
            "tables": page.tables,
            "plots": page.plots,
            "facts": page.facts,
            **context,
        },
    )


def _csv(request: HttpRequest, offering: Offering, page: reports.Page) -> HttpResponse:
    key = request.GET.get("table", "")
    table = page.tables.get(key)
    if table is None:
        raise BadFilter(
            f"must name one of this page's tables: {', '.join(page.tables)}", field="table"
        )
    response = HttpResponse(table_csv(table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{offering.slug}-{key}.csv"'
    return response


@login_required
@require_GET
def overview(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Active students, progress per lesson, pass rates, recent activity, what needs care."""
    return _respond(
        request,
        course_slug,
        "dashboards/overview.html",
        lambda offering, filters: (reports.overview_page(offering, filters), {}),
    )


@login_required
@require_GET
def questions(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Every question's statistics and Cronbach's alpha of the course and of each lesson."""
    return _respond(
        request,
        course_slug,
        "dashboards/questions.html",
        lambda offering, filters: (reports.items_page(offering, filters), {}),
    )


@login_required
@require_GET
def question(request: HttpRequest, course_slug: str, key: str) -> HttpResponse:
    """One question's statistics, with their definitions."""

    def build(offering: Offering, filters: Filters) -> tuple[reports.Page, dict[str, Any]]:
        item = selectors.question_get_in_offering(offering=offering, key=key)
        return reports.question_page(offering, item, filters), {"question": item}

    return _respond(request, course_slug, "dashboards/question.html", build)


@login_required
@require_GET
def queue(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Workers online, submissions queued, running and failed, grades per minute."""
    return _respond(
        request,
        course_slug,
        "dashboards/queue.html",
        lambda offering, filters: (reports.queue_page(offering, filters), {}),
    )


@login_required
@require_GET
def student(request: HttpRequest, course_slug: str, student_id: int) -> HttpResponse:
    """One student's progress, answers and submissions."""

    def build(offering: Offering, filters: Filters) -> tuple[reports.Page, dict[str, Any]]:
        user = selectors.student_get_in_offering(offering=offering, student_id=student_id)
        return reports.student_page(offering, user, filters), {
            "student": user,
            "student_name": selectors.display_name(user),
            "student_group": enrolment.student_group(offering_id=offering.pk, user_id=user.pk),
        }

    return _respond(request, course_slug, "dashboards/student.html", build)


@login_required
@require_GET
def task(request: HttpRequest, course_slug: str, task_slug: str) -> HttpResponse:
    """One coding task's submissions, verdicts, failing checks, latency and loss curves."""

    def build(offering: Offering, filters: Filters) -> tuple[reports.Page, dict[str, Any]]:
        item = selectors.task_get_in_offering(offering=offering, slug=task_slug)
        return reports.task_page(offering, item, filters), {"task": item}

    return _respond(request, course_slug, "dashboards/task.html", build)


@login_required
@require_http_methods(["GET", "POST"])
def groups(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Every student with their group: a form that sets them all at once."""
    offering = selectors.offering_get_for_teacher(user=request.user, slug=course_slug)
    error = None
    if request.method == "POST":
        assignments = {
            int(name.removeprefix("group-")): str(request.POST.get(name, ""))
            for name in request.POST
            if name.startswith("group-") and name.removeprefix("group-").isdigit()
        }
        try:
            changed = enrolment_services.student_groups_set(offering=offering, groups=assignments)
        except GroupInvalid as exc:
            error = exc
        else:
            messages.success(
                request, f"Groups saved: {changed} student{'s' if changed != 1 else ''} moved."
            )
            return redirect("dashboards:groups", course_slug=offering.slug)
    memberships = list(enrolment.student_memberships(offering_id=offering.pk))
    submitted = request.POST if error is not None else None
    rows = [
        {
            "id": m.user_id,
            "name": selectors.display_name(m.user),
            "username": m.user.get_username(),
            "group": submitted.get(f"group-{m.user_id}", m.group) if submitted else m.group,
            "invalid": error is not None and error.field == f"group-{m.user_id}",
        }
        for m in memberships
    ]
    return render(
        request,
        "dashboards/groups.html",
        {
            "course": offering,
            "filters": Filters(),
            "rows": rows,
            "groups": enrolment.offering_groups(offering_id=offering.pk),
            "error": error.message if error is not None else None,
        },
        status=error.status_code if error is not None else 200,
    )
