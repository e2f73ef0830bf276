"""Reads of coding tasks, each with the reader's right to the object checked.

A task is content: it belongs to a ``courses.Course``, and every offering of that content
uses it. A user reaches a task through an offering they are in (staff: every task); anyone
else gets the 404 of a missing task. See docs/courses.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import unescape as html_unescape
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.urls import reverse

from annquiz.coding.gating import TaskLock, task_lock_for_user, task_locks_for_user
from annquiz.coding.grades import (
    GRADE_OVERRIDE,
    grade_override_of,
    passed_filter,
    status_filter,
    submission_score,
)
from annquiz.coding.models import CodingTask, Submission
from annquiz.coding.statuses import (
    FINISHED_STATUSES,
    PENDING_STATUSES,
    SERVICE_FAILURE_STATUSES,
    Status,
)
from annquiz.coding.turns import turn_position
from annquiz.core.ordinals import ordinal
from annquiz.courses.models import Lesson
from annquiz.enrolment import selectors as enrolment
from annquiz.enrolment.models import Offering, Role, TaskSettings
from training.datasets import load_dataset
from training.judging import TaskDefinition, parse_task_definition
from training.judging.figures import check_requirement

AnyUser = AbstractBaseUser | AnonymousUser


def task_definition(task: CodingTask) -> TaskDefinition:
    """The judging rules ``task`` stores, parsed (validated when the task was saved)."""
    return parse_task_definition(task.definition)


def _readable_tasks(user: AnyUser) -> QuerySet[CodingTask]:
    """Active tasks of the contents ``user`` reads through their courses (staff: all)."""
    tasks = CodingTask.objects.filter(is_active=True)
    if not user.is_authenticated:
        return tasks.none()
    course_ids = enrolment.readable_course_ids(user=user)
    return tasks if course_ids is None else tasks.filter(course_id__in=course_ids)


def _active_tasks_with_attempts(*, student: AnyUser, **counts: Count) -> QuerySet[CodingTask]:
    """The student's active tasks in their order, each annotated with ``attempts_used`` (the
    student's submissions that count as attempts) and the given ``counts`` of the student's
    submissions."""
    mine = Q(submissions__student_id=student.pk)
    return (
        _readable_tasks(student)
        .select_related("course", "lesson")
        .annotate(
            attempts_used=Count(
                "submissions",
                filter=mine & ~Q(submissions__status__in=SERVICE_FAILURE_STATUSES),
            ),
            **counts,
        )
        .order_by("order", "slug")  # Meta.ordering is not applied to a grouped query
    )


def _max_attempts_by_task(student: AnyUser) -> dict[int, int]:
    """``{task_id: attempts allowed}`` where the student's courses set their own (1 query)."""
    if not student.is_authenticated:
        return {}
    settings = TaskSettings.objects.filter(
        offering__memberships__user_id=student.pk,
        offering__memberships__role=Role.STUDENT,
        max_attempts__isnull=False,
    ).values_list("task_id", "max_attempts")
    return {task_id: int(allowed) for task_id, allowed in settings if allowed is not None}


def task_list_for_user(*, user: AnyUser) -> list[dict[str, Any]]:
    """Every active task of the user's courses as ``task_view`` shows it, with ``user``'s
    attempts and success; a locked task (``annquiz.coding.gating``) is listed, marked so."""
    mine = Q(submissions__student_id=user.pk)
    tasks = list(
        _active_tasks_with_attempts(
            student=user,
            passed_count=Count("submissions", filter=mine & passed_filter("submissions__")),
        )
    )
    allowed = _max_attempts_by_task(user)
    locks = task_locks_for_user(user=user, tasks=tasks)
    return [
        task_view(
            task=task,
            attempts_used=getattr(task, "attempts_used"),  # noqa: B009 (an annotation)
            passed=getattr(task, "passed_count") > 0,  # noqa: B009
            max_attempts=allowed.get(task.pk),
            lock=locks.get(task.pk),
        )
        for task in tasks
    ]


def task_get_for_user(*, user: AnyUser, slug: str) -> CodingTask:
    """The active task called ``slug`` of one of the user's courses; else the 404 of a
    missing task."""
    task = _readable_tasks(user).filter(slug=slug).select_related("course", "lesson").first()
    if task is None:
        raise Http404(f"no task called {slug!r}")
    return task


def submission_get_for_user(*, user: AnyUser, submission_id: int) -> Submission:
    """A submission its own student, an instructor of its course or staff may read; the 404
    of a missing one for anyone else, so others cannot even learn that it exists."""
    submission = (
        Submission.objects.select_related(
            "task", "task__course", "student", "offering", *GRADE_OVERRIDE
        )
        .filter(pk=submission_id)
        .first()
    )
    if submission is None or not (
        (user.is_authenticated and submission.student_id == user.pk)
        or enrolment.may_teach(user=user, offering_id=submission.offering_id)
    ):
        raise Http404(f"no submission {submission_id}")
    return submission


def task_offering(*, user: AnyUser, task: CodingTask) -> Offering | None:
    """The course (offering) in which ``user`` works on ``task``: where their submissions
    go and whose settings (attempts, deadline) apply."""
    return enrolment.offering_for_content(user=user, course_id=task.course_id)


def max_attempts_in(*, task: CodingTask, offering: Offering | None) -> int:
    """The attempts allowed at ``task`` in ``offering``: its setting there, else the task's."""
    settings = enrolment.task_settings_of(
        offering_id=offering.pk if offering is not None else None, task_id=task.pk
    )
    if settings is not None and settings.max_attempts is not None:
        return int(settings.max_attempts)
    return int(task.max_attempts)


def submission_list_for_student(*, student: AnyUser, task: CodingTask) -> QuerySet[Submission]:
    """The student's own submissions to ``task``, newest first."""
    return Submission.objects.filter(student_id=student.pk, task=task).select_related(
        "task", "task__course", "offering", *GRADE_OVERRIDE
    )


def queue_position(*, submission: Submission) -> int | None:
    """1 for the next submission a worker takes from its queue (the students take turns:
    ``annquiz.coding.turns``); None once it is not queued."""
    if submission.status != Status.QUEUED:
        return None
    return turn_position(submission=submission)


_HEADING_RE = r'<h[1-6][^>]*\bid="{anchor}"[^>]*>(.*?)</h[1-6]>'
_TAG_RE = re.compile(r"<[^>]+>")


def _words(slug: str) -> str:
    text = slug.replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def section_titles(*, task: CodingTask, sections: Iterable[str | None]) -> dict[str, str]:
    """Readable names of handout sections ``"<lesson slug>#<heading id>"``: the heading as the
    lesson page shows it, with the lesson's title ("Reading the loss (Loss, convergence and
    epochs)"); the words of the ids when the course is not loaded."""
    wanted = {section for section in sections if section}
    slugs = {section.partition("#")[0] for section in wanted}
    lessons = (
        {
            lesson.slug: lesson
            for lesson in Lesson.objects.filter(course=task.course, slug__in=slugs).only(
                "slug", "title", "blocks"
            )
        }
        if task.course is not None
        else {}
    )
    titles: dict[str, str] = {}
    for section in wanted:
        slug, _, anchor = section.partition("#")
        lesson = lessons.get(slug)
        lesson_title = lesson.title if lesson is not None else _words(slug)
        heading = _words(anchor) if anchor else None
        if lesson is not None and anchor:
            heading = _heading_of(lesson, anchor)
        titles[section] = f"{heading} ({lesson_title})" if heading else lesson_title
    return titles


def task_sections(task: CodingTask) -> list[str]:
    """The handout sections ``"<lesson slug>#<heading id>"`` the task's checks name, in the
    order of its checks, each once."""
    sections = (check.section for check in task_definition(task).checks)
    return list(dict.fromkeys(section for section in sections if section))


def _heading_of(lesson: Lesson, anchor: str) -> str:
    html = "".join(block.get("html", "") for block in lesson.blocks)
    found = re.search(_HEADING_RE.format(anchor=re.escape(anchor)), html, re.S)
    if found is None:
        return _words(anchor)
    return html_unescape(_TAG_RE.sub("", found.group(1))).strip()


def tasks_for_lesson(*, lesson: Lesson) -> list[dict[str, Any]]:
    """The active tasks that practise ``lesson``: those whose checks name one of its sections
    or that belong to it, each with the sections of this lesson it names (title, anchor), for
    the lesson page's links. The same for every student; one query (the lesson was checked
    by the caller, and its tasks are those of its content)."""
    tasks = CodingTask.objects.filter(is_active=True, course_id=lesson.course_id).select_related(
        "lesson"
    )
    found = []
    for task in tasks:
        anchors = [
            anchor
            for slug, _, anchor in (section.partition("#") for section in task_sections(task))
            if slug == lesson.slug and anchor
        ]
        if not anchors and task.lesson_id != lesson.pk:
            continue
        found.append(
            {
                "title": task.title,
                "summary": task.summary,
                "page_url": reverse("coding:task", args=[task.slug]),
                "sections": [
                    {"anchor": anchor, "title": _heading_of(lesson, anchor)} for anchor in anchors
                ],
            }
        )
    return found


def task_count_for_course(*, course: Offering) -> int:
    """How many active tasks the course (its content) has."""
    return CodingTask.objects.filter(is_active=True, course_id=course.course_id).count()


_VERDICT_ORDER = (Status.PASSED, Status.FAILED, Status.DIVERGED)


def task_progress_for_student(*, student: AnyUser) -> list[dict[str, Any]]:
    """Every active task with the student's standing in it, for the progress page: attempts
    used of those allowed, and the best verdict reached (passed, then failed, then diverged;
    "Being graded" while only a queued or running submission exists). One query."""
    mine = Q(submissions__student_id=student.pk)
    counted = {
        f"n_{status.value}": Count(
            "submissions", filter=mine & status_filter(status, "submissions__")
        )
        for status in (*_VERDICT_ORDER, *PENDING_STATUSES)
    }
    tasks = list(_active_tasks_with_attempts(student=student, **counted))
    allowed = _max_attempts_by_task(student)
    locks = task_locks_for_user(user=student, tasks=tasks)
    rows = []
    for task in tasks:
        best = next((s for s in _VERDICT_ORDER if getattr(task, f"n_{s.value}")), None)
        pending = any(getattr(task, f"n_{s.value}") for s in PENDING_STATUSES)
        rows.append(
            {
                **task_view(
                    task=task,
                    attempts_used=getattr(task, "attempts_used"),  # noqa: B009 (an annotation)
                    passed=best == Status.PASSED,
                    max_attempts=allowed.get(task.pk),
                    lock=locks.get(task.pk),
                ),
                "best_verdict": best.value if best else None,
                "best_verdict_label": (
                    best.label if best else ("Being graded" if pending else "Not started")
                ),
                "lesson_title": task.lesson.title if task.lesson is not None else None,
            }
        )
    return rows


def section_url(
    *, task: CodingTask, section: str | None, course_slug: str | None = None
) -> str | None:
    """The lesson page behind a handout section ``"<lesson slug>#<heading id>"``, in the
    course ``course_slug`` (by default the content's default course, of the same slug)."""
    if not section or task.course is None:
        return None
    lesson, _, anchor = section.partition("#")
    url = reverse("courses:lesson", args=[course_slug or task.course.slug, lesson])
    return f"{url}#{anchor}" if anchor else url


# --------------------------------------------------------------------------- views as data


def task_view(
    *,
    task: CodingTask,
    attempts_used: int,
    passed: bool,
    max_attempts: int | None = None,
    lock: TaskLock | None = None,
) -> dict[str, Any]:
    """What a student reads about a task (API and page): no reference or broken solution.
    ``max_attempts``: the attempts allowed in the student's course, if not the task's own;
    ``lock``: why the task is locked for the student (``annquiz.coding.gating``), if it is."""
    return {
        "slug": task.slug,
        "title": task.title,
        "summary": task.summary,
        "backend": task.backend,
        "is_open": task.is_open,
        "max_attempts": max_attempts if max_attempts is not None else task.max_attempts,
        "attempts_used": attempts_used,
        "passed": passed,
        "locked": lock is not None,
        "lock": lock.as_data() if lock is not None else None,
        "url": reverse("api:task-detail", args=[task.slug]),
        "page_url": reverse("coding:task", args=[task.slug]),
    }


def task_rules(
    task: CodingTask, definition: TaskDefinition, course_slug: str | None = None
) -> dict[str, Any]:
    """The judging rules a student may see: seeds, the pass rule, checks, constraints, limits
    (the handout sections linked in the course ``course_slug``)."""
    return {
        "backend": definition.backend,
        "seeds": len(definition.seeds),
        "required_passes": definition.required_passes,
        "pass_rule": (
            f"each check must pass on at least {definition.required_passes} of "
            f"{len(definition.seeds)} training seeds"
        ),
        "checks": _with_sections(
            task,
            [
                {
                    "kind": check.kind,
                    "label": check.label,
                    "threshold": check.params.get("threshold"),
                    "needs": check_requirement(check),
                    "section": check.section,
                }
                for check in definition.checks
            ],
            course_slug=course_slug,
        ),
        "constraints": dict(definition.constraints),
        "limits": {
            "max_layers": definition.limits.max_layers,
            "max_units_per_layer": definition.limits.max_units_per_layer,
            "max_params": definition.limits.max_params,
            "max_epochs": definition.limits.max_epochs,
            "max_training_flops": definition.limits.max_training_flops,
        },
    }


def task_detail_view(*, task: CodingTask, student: AnyUser) -> dict[str, Any]:
    """The task page's and ``GET /api/v1/tasks/<slug>/``'s data, in the course (offering)
    the student works on the task in: its attempts allowed, its lesson links. A task locked
    for the student (``annquiz.coding.gating``) leaves out its statement, data, rules, starter
    and the sections its checks name: they would give the checkpoint's answer away."""
    submissions = Submission.objects.filter(student_id=student.pk, task=task)
    offering = task_offering(user=student, task=task)
    course_slug = offering.slug if offering is not None else None
    lock = task_lock_for_user(user=student, task=task)
    view = task_view(
        task=task,
        attempts_used=submissions.counting_as_attempts().count(),
        passed=submissions.filter(passed_filter()).exists(),
        max_attempts=max_attempts_in(task=task, offering=offering),
        lock=lock,
    )
    lesson_url = (
        reverse("courses:lesson", args=[course_slug or task.course.slug, task.lesson.slug])
        if task.course is not None and task.lesson is not None
        else None
    )
    links = {
        "lesson_url": lesson_url,
        "submissions_url": reverse("api:task-submissions", args=[task.slug]),
    }
    if lock is not None:
        return {**view, **links, "sections": []}
    definition = task_definition(task)
    sections = task_sections(task)
    titles = section_titles(task=task, sections=sections)
    return {
        **view,
        "sections": [
            {
                "title": titles[section],
                "url": section_url(task=task, section=section, course_slug=course_slug),
            }
            for section in sections
            if task.course is not None
        ],
        "statement_html": task.statement_html,
        "dataset": load_dataset(definition.dataset, definition.dataset_seed).summary(),
        "rules": task_rules(task, definition, course_slug),
        "starter": {"kind": task.starter_kind, "source": task.starter_source},
        **links,
        "validate_url": reverse("api:task-validate", args=[task.slug]),
    }


def _result_sections(result: dict[str, Any] | None) -> list[str | None]:
    if result is None:
        return []
    items = [*result.get("checks", []), *result.get("diagnostics", [])]
    return [item.get("section") for item in items]


def _with_sections(
    task: CodingTask,
    items: list[dict[str, Any]],
    titles: dict[str, str] | None = None,
    *,
    course_slug: str | None = None,
) -> list[dict[str, Any]]:
    if titles is None:
        titles = section_titles(task=task, sections=[item.get("section") for item in items])
    return [
        {
            **item,
            "section_url": section_url(
                task=task, section=item.get("section"), course_slug=course_slug
            ),
            "section_title": titles.get(item.get("section") or ""),
        }
        for item in items
    ]


def _grade_view(submission: Submission) -> dict[str, Any]:
    override = grade_override_of(submission)
    return {
        "score": submission_score(submission),
        "set_by_instructor": override is not None,
        "comment": override.change.comment if override is not None else "",
    }


def submission_view(
    *, submission: Submission, titles: dict[str, str] | None = None
) -> dict[str, Any]:
    """Everything the status page and ``GET /api/v1/submissions/<id>/`` show (``titles``:
    the handout sections' names, when the caller already has them)."""
    task = submission.task
    result = submission.result
    # The lesson links go to the course the submission was made in.
    course_slug = submission.offering.slug if submission.offering is not None else None
    if result is not None:
        if titles is None:
            titles = section_titles(task=task, sections=_result_sections(result))
        result = {
            **result,
            "checks": _with_sections(
                task, result.get("checks", []), titles, course_slug=course_slug
            ),
            "diagnostics": _with_sections(
                task, result.get("diagnostics", []), titles, course_slug=course_slug
            ),
        }
    return {
        "id": submission.pk,
        "number": submission.number,
        "ordinal": ordinal(submission.number),
        "is_late": submission.is_late,
        "url": reverse("api:submission-detail", args=[submission.pk]),
        "page_url": reverse("coding:submission", args=[task.slug, submission.pk]),
        "task": task.slug,
        "status": submission.status,
        "status_label": Status(submission.status).label,
        "grade": _grade_view(submission),
        "finished": submission.status in FINISHED_STATUSES,
        "counts_as_attempt": submission.counts_as_attempt,
        "message": submission.message,
        "queue_position": queue_position(submission=submission),
        "progress": submission.progress or None,
        "created_at": submission.created_at,
        "started_at": submission.started_at,
        "finished_at": submission.finished_at,
        "source_kind": submission.source_kind,
        "source_text": submission.source,
        "architecture": submission.architecture,
        "result": result,
    }


def submission_views(
    *, task: CodingTask, submissions: Iterable[Submission]
) -> list[dict[str, Any]]:
    """``submission_view`` of many submissions to ``task``, naming the handout sections once."""
    shown = list(submissions)
    sections = [section for s in shown for section in _result_sections(s.result)]
    titles = section_titles(task=task, sections=sections)
    return [submission_view(submission=s, titles=titles) for s in shown]
