"""Student-facing HTML pages of coding tasks.

The pages are rendered on the server and then kept live by ``static/coding/js/``: the task
page's editor validates against ``POST /api/v1/tasks/<slug>/validate/``, shows the diagram
``network_diagram`` renders, and submits to ``POST /api/v1/tasks/<slug>/submissions/``
(session auth + CSRF); the submission page polls its status panel (``submission_status``)
until the verdict is stored, swaps in the verdict as this page renders it and draws the
curves.
Every widget is drawn by its template only: the scripts fetch rendered HTML, never build it.
"""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from rest_framework.exceptions import ValidationError

from annquiz.coding import gating, regrade_selectors, selectors, submitting
from annquiz.coding.apis import MAX_SUBMISSION_BODY_BYTES
from annquiz.coding.architecture import architecture_diagram
from annquiz.coding.errors import InvalidSubmission, TaskLocked
from annquiz.coding.serializers import SubmissionInputSerializer

MIN_COMPARED = 2
MAX_COMPARED = 4


@login_required
@require_GET
def task_list(request: HttpRequest) -> HttpResponse:
    tasks = selectors.task_list_for_user(user=request.user)
    return render(request, "coding/task_list.html", {"tasks": tasks})


@login_required
@require_GET
def task_detail(request: HttpRequest, task_slug: str) -> HttpResponse:
    task = selectors.task_get_for_user(user=request.user, slug=task_slug)
    view = selectors.task_detail_view(task=task, student=request.user)
    submissions = selectors.submission_views(
        task=task,
        submissions=selectors.submission_list_for_student(student=request.user, task=task),
    )
    return render(request, "coding/task_detail.html", {"task": view, "submissions": submissions})


@login_required
@require_POST
def network_diagram(request: HttpRequest, task_slug: str) -> HttpResponse:
    """The diagram of a network sent as the validate API takes it (``{"spec": …}`` or
    ``{"keras": …}``), as an HTML fragment for the task page's editor; 400 (empty) when it is
    not a valid network for the task: the validate API says why; 409 (empty) while the task
    is locked for the user (``annquiz.coding.gating``)."""
    task = selectors.task_get_for_user(user=request.user, slug=task_slug)
    if gating.task_lock_for_user(user=request.user, task=task) is not None:
        return HttpResponse(status=TaskLocked.status_code)
    if len(request.body) > MAX_SUBMISSION_BODY_BYTES:
        return HttpResponse(status=413)
    try:
        serializer = SubmissionInputSerializer(data=json.loads(request.body))
        serializer.is_valid(raise_exception=True)
        kind, source = serializer.kind_and_text()
        spec = submitting.submission_spec_parse(task=task, source_kind=kind, source=source)
    except (ValueError, ValidationError, InvalidSubmission):
        return HttpResponse(status=400)
    context = {"architecture": architecture_diagram(spec)}
    return render(request, "coding/_diagram.html", context)


@login_required
@require_GET
def submission_detail(request: HttpRequest, task_slug: str, submission_id: int) -> HttpResponse:
    submission = selectors.submission_get_for_user(user=request.user, submission_id=submission_id)
    if submission.task.slug != task_slug:
        raise Http404(f"no submission {submission_id} for the task {task_slug!r}")
    view = selectors.submission_view(submission=submission)
    heading = (
        f"Your {view['ordinal']} submission"
        if submission.student_id == request.user.pk
        else f"{submission.student.get_username()}'s {view['ordinal']} submission"
    )
    # Its own student may read the instructors' decisions on its grade and dispute it.
    grade_url = (
        reverse("grades:submission", args=[submission.offering.slug, submission.pk])
        if submission.student_id == request.user.pk and submission.offering is not None
        else None
    )
    return render(
        request,
        "coding/submission_detail.html",
        {
            "task": submission.task,
            "submission": view,
            "heading": heading,
            "regraded_at": regrade_selectors.regraded_at(submission=submission),
            "grade_history": regrade_selectors.grade_history_for_user(
                user=request.user, submission=submission
            ),
            "grade_url": grade_url,
        },
    )


@login_required
@require_GET
def submission_status(request: HttpRequest, task_slug: str, submission_id: int) -> HttpResponse:
    """The status panel of the submission page alone (coding/_status_panel.html): what the
    page polls while it follows the grading."""
    submission = selectors.submission_get_for_user(user=request.user, submission_id=submission_id)
    if submission.task.slug != task_slug:
        raise Http404(f"no submission {submission_id} for the task {task_slug!r}")
    view = selectors.submission_view(submission=submission)
    return render(request, "coding/_status_panel.html", {"submission": view})


def _compared_ids(raw_ids: list[str]) -> tuple[list[int], str | None]:
    """The distinct submission ids of ``?id=…&id=…`` in order, or what is wrong with them."""
    if not all(raw.isascii() and raw.isdigit() for raw in raw_ids):
        bad = next(raw for raw in raw_ids if not (raw.isascii() and raw.isdigit()))
        return [], f"{bad!r} is not a submission number: use ?id=<number>&id=<number>."
    ids = list(dict.fromkeys(int(raw) for raw in raw_ids))
    if not MIN_COMPARED <= len(ids) <= MAX_COMPARED:
        return [], (
            f"Choose {MIN_COMPARED} to {MAX_COMPARED} different submissions to compare; "
            f"{len(ids)} {'was' if len(ids) == 1 else 'were'} chosen."
        )
    return ids, None


@login_required
@require_GET
def submission_compare(request: HttpRequest, task_slug: str) -> HttpResponse:
    """Two to four of the student's submissions to one task side by side (``?id=1&id=2``);
    409 with the reason while the task is locked for the user (``annquiz.coding.gating``)."""
    task = selectors.task_get_for_user(user=request.user, slug=task_slug)
    lock = gating.task_lock_for_user(user=request.user, task=task)
    if lock is not None:
        context = {"task": task, "submissions": [], "error": lock.reason}
        return render(
            request, "coding/submission_compare.html", context, status=TaskLocked.status_code
        )
    ids, error = _compared_ids(request.GET.getlist("id"))
    if error is not None:
        context = {"task": task, "submissions": [], "error": error}
        return render(request, "coding/submission_compare.html", context, status=400)
    compared = []
    for submission_id in ids:
        submission = selectors.submission_get_for_user(
            user=request.user, submission_id=submission_id
        )
        if submission.task_id != task.pk:
            raise Http404(f"submission {submission_id} is not for the task {task_slug!r}")
        compared.append(selectors.submission_view(submission=submission))
    return render(
        request, "coding/submission_compare.html", {"task": task, "submissions": compared}
    )
