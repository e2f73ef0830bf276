"""The review's HTML pages: thin views over the review's selectors and services.

Instructors (``/courses/<slug>/dashboard/review/…``, namespace ``review``): the queue with
the grader's agreement rate, one answer's or submission's grade to confirm or override, and
the audit trail. Students (``/courses/<slug>/grades/…``, namespace ``grades``): the grade of
one of their answers or submissions with the instructors' comments, and the form to
dispute it. A refused form is shown again with its error and the status of the error (400
bad input, 409 already disputed or not graded yet); nothing is stored then.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from annquiz.coding.grades import submission_score
from annquiz.coding.models import Submission
from annquiz.core.errors import ServiceError
from annquiz.core.page_errors import page_error
from annquiz.courses.models import Answer, Verdict
from annquiz.dashboards import selectors as dashboards
from annquiz.dashboards.bad_request import bad_request_page
from annquiz.dashboards.filters import BadFilter, filters_parse
from annquiz.dashboards.reports import Page
from annquiz.dashboards.tables import table_csv
from annquiz.enrolment.models import Offering
from annquiz.review import reports, selectors, services
from annquiz.review.forms import FIELD_LABELS, grade_from_form
from annquiz.review.models import Decision


def _user(request: HttpRequest) -> AbstractBaseUser:
    user = request.user
    assert isinstance(user, AbstractBaseUser) and user.is_authenticated  # login_required
    return user


def _only(submission: Submission | None) -> Submission:
    assert submission is not None  # a page is about an answer or a submission
    return submission


def _score(answer: Answer | None, submission: Submission | None) -> float | None:
    return answer.score if answer is not None else submission_score(_only(submission))


def _dashboard(
    request: HttpRequest,
    offering: Offering,
    template: str,
    page: Page,
    context: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """A dashboard page, or one of its tables as CSV with ``?format=csv&table=<key>``."""
    try:
        filters = filters_parse(request.GET)
        fmt = request.GET.get("format", "html")
        if fmt == "csv":
            table = page.tables.get(request.GET.get("table", ""))
            if table is None:
                raise BadFilter(
                    f"must name one of this page's tables: {', '.join(page.tables)}",
                    field="table",
                )
            response = HttpResponse(table_csv(table), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = (
                f'attachment; filename="{offering.slug}-{table.key}.csv"'
            )
            return response
        if fmt != "html":
            raise BadFilter("must be html or csv", field="format")
    except BadFilter as exc:
        return bad_request_page(request, offering, exc, {"table": "Table", "format": "Format"})
    return render(
        request,
        template,
        {
            "course": offering,
            "filters": filters,
            "page": page,
            "tables": page.tables,
            "plots": page.plots,
            "facts": page.facts,
            **(context or {}),
        },
        status=status,
    )


# --- instructors ------------------------------------------------------------------------------


@login_required
@require_GET
def queue(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Answers the grader was unsure of and disputed grades; the grader's agreement rate."""
    offering = dashboards.offering_get_for_teacher(user=request.user, slug=course_slug)
    return _dashboard(request, offering, "review/queue.html", reports.queue_page(offering))


@login_required
@require_GET
def audit(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Every decision on a grade in the course: who, when, the grade before and after."""
    offering = dashboards.offering_get_for_teacher(user=request.user, slug=course_slug)
    return _dashboard(request, offering, "review/audit.html", reports.audit_page(offering))


def _decide_page(
    request: HttpRequest,
    offering: Offering,
    *,
    answer: Answer | None = None,
    submission: Submission | None = None,
) -> HttpResponse:
    """GET: the grade, its history and the form; POST: decide, then back to the queue."""
    error, status = None, 200
    if request.method == "POST":
        try:
            grade = grade_from_form(request.POST)
            if answer is not None:
                services.answer_decide(instructor=_user(request), answer=answer, grade=grade)
            else:
                services.submission_decide(
                    instructor=_user(request), submission=_only(submission), grade=grade
                )
            return redirect("review:queue", course_slug=offering.slug)
        except ServiceError as exc:
            refused = page_error(exc, field_labels=FIELD_LABELS)
            error, status = refused.message, refused.status
    page = Page()
    changes = selectors.changes_of(answer=answer, submission=submission)
    page.add(reports.history_table(changes))
    context = {
        "answer": answer,
        "submission": submission,
        "score": _score(answer, submission),
        "student_name": dashboards.display_name(
            answer.student if answer is not None else _only(submission).student
        ),
        "dispute": selectors.open_dispute_of(answer=answer, submission=submission),
        "error": error,
        "values": request.POST if error is not None else {},
        "verdicts": Verdict.choices,
        "decisions": Decision.choices,
    }
    return _dashboard(request, offering, "review/decide.html", page, context, status)


@login_required
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, course_slug: str, answer_id: int) -> HttpResponse:
    offering = dashboards.offering_get_for_teacher(user=request.user, slug=course_slug)
    item = selectors.answer_get_for_teacher(offering=offering, answer_id=answer_id)
    return _decide_page(request, offering, answer=item)


@login_required
@require_http_methods(["GET", "POST"])
def submission(request: HttpRequest, course_slug: str, submission_id: int) -> HttpResponse:
    offering = dashboards.offering_get_for_teacher(user=request.user, slug=course_slug)
    item = selectors.submission_get_for_teacher(offering=offering, submission_id=submission_id)
    return _decide_page(request, offering, submission=item)


# --- students ---------------------------------------------------------------------------------


def _grade_page(
    request: HttpRequest,
    course_slug: str,
    *,
    answer: Answer | None = None,
    submission: Submission | None = None,
) -> HttpResponse:
    """GET: the grade with the instructors' decisions; POST: open a dispute of it."""
    error, status = None, 200
    if request.method == "POST":
        reason = str(request.POST.get("reason", ""))
        try:
            if answer is not None:
                services.answer_dispute(student=_user(request), answer=answer, reason=reason)
            else:
                services.submission_dispute(
                    student=_user(request), submission=_only(submission), reason=reason
                )
            return redirect(request.path)
        except ServiceError as exc:
            refused = page_error(exc, field_labels=FIELD_LABELS)
            error, status = refused.message, refused.status
    context = {
        "course": answer.offering if answer is not None else _only(submission).offering,
        "answer": answer,
        "submission": submission,
        "score": _score(answer, submission),
        "changes": selectors.changes_of(answer=answer, submission=submission),
        "dispute": selectors.open_dispute_of(answer=answer, submission=submission),
        "error": error,
        "reason": str(request.POST.get("reason", ""))[:2000] if error is not None else "",
    }
    return render(request, "review/grade.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def my_answer(request: HttpRequest, course_slug: str, answer_id: int) -> HttpResponse:
    item = selectors.answer_get_for_owner(
        user=request.user, answer_id=answer_id, course_slug=course_slug
    )
    return _grade_page(request, course_slug, answer=item)


@login_required
@require_http_methods(["GET", "POST"])
def my_submission(request: HttpRequest, course_slug: str, submission_id: int) -> HttpResponse:
    item = selectors.submission_get_for_owner(
        user=request.user, submission_id=submission_id, course_slug=course_slug
    )
    return _grade_page(request, course_slug, submission=item)
