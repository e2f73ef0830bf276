"""The regrade pages of a coding task, under ``/courses/<offering>/dashboard/tasks/<task>/
regrade/``: start a regrade (its dry run), follow it, review the proposed changes, apply
them. Thin views over ``annquiz.coding.regrading`` (writes) and ``regrade_selectors``
(reads); the course comes through ``selectors.offering_get_for_teacher`` (instructors of the
course and staff, the 404 of a missing course for anyone else)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from annquiz.coding import regrade_selectors
from annquiz.coding.models import RegradeRunStatus, RegradeScope
from annquiz.coding.regrading import regrade_run_apply, regrade_run_start
from annquiz.core.errors import ServiceError
from annquiz.core.page_errors import page_error
from annquiz.dashboards import selectors

FIELD_LABELS = {"scope": "Which submissions", "student": "Student", "run": "Regrade"}


@login_required
@require_http_methods(["GET", "POST"])
def regrade(request: HttpRequest, course_slug: str, task_slug: str) -> HttpResponse:
    """The task's past regrades and the form that starts one (POST: start its dry run)."""
    offering = selectors.offering_get_for_teacher(user=request.user, slug=course_slug)
    task = selectors.task_get_in_offering(offering=offering, slug=task_slug)
    error: str | None = None
    status = 200
    if request.method == "POST":
        try:
            run = regrade_run_start(
                task=task,
                offering=offering,
                scope=request.POST.get("scope", ""),
                student_username=request.POST.get("student", ""),
                started_by=request.user,  # type: ignore[arg-type]
            )
        except ServiceError as exc:
            shown = page_error(exc, field_labels=FIELD_LABELS)
            error, status = shown.message, shown.status
        else:
            return redirect("dashboards:regrade-run", offering.slug, task.slug, run.pk)
    context: dict[str, Any] = {
        "course": offering,
        "task": task,
        "runs": regrade_selectors.regrade_runs_of(offering=offering, task=task),
        "scopes": RegradeScope.choices,
        "chosen_scope": request.POST.get("scope", RegradeScope.ALL),
        "chosen_student": request.POST.get("student", ""),
        "error": error,
    }
    return render(request, "dashboards/regrade.html", context, status=status)


def _run_page(
    request: HttpRequest, course_slug: str, task_slug: str, run_id: int, *, error: str | None
) -> dict[str, Any]:
    offering = selectors.offering_get_for_teacher(user=request.user, slug=course_slug)
    task = selectors.task_get_in_offering(offering=offering, slug=task_slug)
    run = regrade_selectors.regrade_run_get(offering=offering, task=task, run_id=run_id)
    return {
        "course": offering,
        "task": task,
        "run": run,
        "report": regrade_selectors.regrade_run_report(run=run),
        "judging": run.status == RegradeRunStatus.JUDGING,
        "ready": run.status == RegradeRunStatus.READY,
        "applied": run.status == RegradeRunStatus.APPLIED,
        "error": error,
    }


@login_required
@require_http_methods(["GET"])
def regrade_run(
    request: HttpRequest, course_slug: str, task_slug: str, run_id: int
) -> HttpResponse:
    """One regrade: its progress while judging, then the proposed changes (the dry run)."""
    context = _run_page(request, course_slug, task_slug, run_id, error=None)
    return render(request, "dashboards/regrade_run.html", context)


@login_required
@require_POST
def regrade_apply(
    request: HttpRequest, course_slug: str, task_slug: str, run_id: int
) -> HttpResponse:
    """Apply a regrade's proposed changes (again: nothing more happens)."""
    context = _run_page(request, course_slug, task_slug, run_id, error=None)
    try:
        regrade_run_apply(run_id=context["run"].pk, applied_by=request.user)  # type: ignore[arg-type]
    except ServiceError as exc:
        shown = page_error(exc, field_labels=FIELD_LABELS)
        context["error"] = shown.message
        return render(request, "dashboards/regrade_run.html", context, status=shown.status)
    return redirect("dashboards:regrade-run", course_slug, task_slug, run_id)
