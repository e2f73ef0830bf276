"""Reads for the instructors' dashboards, each with its permission check.

Every dashboard is reached through ``offering_get_for_teacher``: an instructor of the
offering or staff get it; anyone else gets the same 404 as for a course that does not exist.
The other selectors take that offering and read only what was made in it. Each page costs a
fixed number of queries: answers and submissions are read as plain value rows (never one
query per student or question) and the statistics are computed from them in Python by the
pure modules of this app.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Min, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from annquiz.coding.models import CodingTask, Submission
from annquiz.coding.statuses import Status
from annquiz.courses.models import Answer, Lesson, Question
from annquiz.dashboards.filters import Filters
from annquiz.dashboards.item_statistics import Attempt, AttemptPolicy, chosen_score
from annquiz.enrolment import selectors as enrolment
from annquiz.enrolment.models import Membership, Offering, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser

ACTIVE_DAYS = 7
# A queued submission waiting longer than this is shown as needing attention.
LONG_WAIT = timedelta(minutes=10)


def offering_get_for_teacher(*, user: AnyUser, slug: str) -> Offering:
    """The offering ``slug`` if ``user`` teaches it or is staff; else the 404 of a missing
    course (the same error, whether the course exists or not)."""
    offering = Offering.objects.select_related("course").filter(slug=slug).first()
    if offering is None or not enrolment.may_teach(user=user, offering_id=offering.pk):
        raise Http404(f"no course {slug!r}")
    return offering


def _in_group(
    queryset: QuerySet[Any], offering: Offering, group: str | None, field: str = "student_id"
) -> QuerySet[Any]:
    """Only the rows of the students of ``group`` (all rows when None)."""
    if group is None:
        return queryset
    members = enrolment.group_member_ids(offering_id=offering.pk, group=group)
    return queryset.filter(**{f"{field}__in": members})


def _in_range(
    queryset: QuerySet[Any], offering: Offering, filters: Filters, field: str
) -> QuerySet[Any]:
    """The rows made within the filters' date range, by the students of their group."""
    queryset = _in_group(queryset, offering, filters.group)
    if filters.start is not None:
        queryset = queryset.filter(**{f"{field}__gte": filters.start})
    if filters.end is not None:
        queryset = queryset.filter(**{f"{field}__lt": filters.end})
    return queryset


# --- content ---------------------------------------------------------------------------------


def lessons_with_questions(offering: Offering) -> list[tuple[Lesson, list[Question]]]:
    """The content's active lessons in order, each with its active questions in order."""
    lessons = list(Lesson.objects.filter(course_id=offering.course_id, is_active=True))
    questions = Question.objects.filter(course_id=offering.course_id, is_active=True).order_by(
        "lesson_id", "order", "id"
    )
    by_lesson: dict[int, list[Question]] = defaultdict(list)
    for question in questions:
        by_lesson[question.lesson_id].append(question)
    return [(lesson, by_lesson[lesson.pk]) for lesson in lessons]


def question_get_in_offering(*, offering: Offering, key: str) -> Question:
    question = (
        Question.objects.select_related("lesson")
        .filter(course_id=offering.course_id, key=key, is_active=True)
        .first()
    )
    if question is None:
        raise Http404(f"no question {key!r}")
    return question


def task_get_in_offering(*, offering: Offering, slug: str) -> CodingTask:
    task = CodingTask.objects.filter(course_id=offering.course_id, slug=slug).first()
    if task is None:
        raise Http404(f"no task {slug!r}")
    return task


def tasks_of(offering: Offering) -> list[CodingTask]:
    return list(CodingTask.objects.filter(course_id=offering.course_id, is_active=True))


def student_get_in_offering(*, offering: Offering, student_id: int) -> Any:
    """A student of the offering (their membership says so); else 404."""
    user = (
        get_user_model()
        .objects.filter(
            pk=student_id,
            memberships__offering_id=offering.pk,
            memberships__role=Role.STUDENT,
        )
        .first()
    )
    if user is None:
        raise Http404(f"no student {student_id}")
    return user


def student_names(offering: Offering, *, group: str | None = None) -> dict[int, str]:
    """Each student's shown name: the full name, else the username (of ``group`` only, if
    given)."""
    members = Membership.objects.filter(offering_id=offering.pk, role=Role.STUDENT)
    if group is not None:
        members = members.filter(group=group)
    rows = members.values_list("user_id", "user__first_name", "user__last_name", "user__username")
    return {
        user_id: (f"{first} {last}".strip() or username) for user_id, first, last, username in rows
    }


def display_name(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


# --- answers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerRow:
    student: int
    question: int
    attempt: int
    score: float
    created_at: datetime


def answer_rows(
    offering: Offering, filters: Filters, *, lesson_id: int | None = None
) -> list[AnswerRow]:
    """Every answer made in the offering within the date range (of one lesson, if given)."""
    answers = _in_range(
        Answer.objects.filter(offering_id=offering.pk), offering, filters, "created_at"
    )
    answers = answers.filter(question__is_active=True)
    if lesson_id is not None:
        answers = answers.filter(question__lesson_id=lesson_id)
    rows = answers.order_by().values_list(
        "student_id", "question_id", "attempt_number", "score", "created_at"
    )
    return [AnswerRow(*row) for row in rows]


def answers_fingerprint(offering: Offering) -> tuple[int, int, int, str]:
    """What the statistics depend on: the offering's answers (their number and the newest
    id), the newest of its instructors' grade decisions (an override changes an answer's
    score in place) and the content's last edit. Equal fingerprints, equal statistics."""
    found = Answer.objects.filter(offering_id=offering.pk).aggregate(n=Count("id"), last=Max("id"))
    decided = Offering.objects.filter(pk=offering.pk).aggregate(last=Max("grade_changes__id"))
    edited = Question.objects.filter(course_id=offering.course_id).aggregate(at=Max("updated_at"))[
        "at"
    ]
    return (
        found["n"] or 0,
        found["last"] or 0,
        decided["last"] or 0,
        edited.isoformat() if edited else "",
    )


def chosen_scores(
    offering: Offering, filters: Filters, points: dict[int, float]
) -> dict[int, dict[str, float]]:
    """``{student: {question id (as text): score * points}}`` of the attempt
    ``filters.attempt`` chooses (within the date range) of each question ``points`` names:
    one query of plain numbers."""
    answers = _in_range(
        Answer.objects.filter(offering_id=offering.pk), offering, filters, "created_at"
    )
    rows = (
        answers.filter(question_id__in=list(points))
        .order_by()
        .values_list("student_id", "question_id", "attempt_number", "score")
    )
    chosen: dict[tuple[int, int], tuple[int, float]] = {}
    policy = filters.attempt
    for student, question, attempt, score in rows:
        key = (student, question)
        held = chosen.get(key)
        if (
            held is None
            or (policy == "first" and attempt < held[0])
            or (policy == "last" and attempt > held[0])
            or (policy == "best" and score > held[1])
        ):
            chosen[key] = (attempt, score)
    matrix: dict[int, dict[str, float]] = defaultdict(dict)
    for (student, question), (_, score) in chosen.items():
        matrix[student][str(question)] = score * points[question]
    return dict(matrix)


def score_matrix(
    rows: Iterable[AnswerRow], policy: AttemptPolicy, points: dict[int, float]
) -> dict[int, dict[str, float]]:
    """``{student: {question id (as text): score * points}}`` of the attempt ``policy``
    chooses; the questions ``points`` does not name are left out."""
    attempts: dict[tuple[int, int], list[Attempt]] = defaultdict(list)
    for row in rows:
        if row.question in points:
            attempts[(row.student, row.question)].append(Attempt(row.attempt, row.score))
    matrix: dict[int, dict[str, float]] = defaultdict(dict)
    for (student, question), tries in attempts.items():
        score = chosen_score(tries, policy)
        if score is not None:
            matrix[student][str(question)] = score * points[question]
    return dict(matrix)


def wrong_answers_of(
    *, offering: Offering, question: Question, filters: Filters
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(response, details) of every answer to ``question`` in the offering that was not
    fully correct, every attempt."""
    answers = _in_range(
        Answer.objects.filter(offering_id=offering.pk, question_id=question.pk),
        offering,
        filters,
        "created_at",
    ).exclude(verdict="correct")
    return [(r, d) for r, d in answers.order_by("created_at").values_list("response", "details")]


def answers_needing_review(offering: Offering, *, group: str | None = None) -> list[Answer]:
    """Answers the grader asked a person to look at (``Answer.needs_review``: a free-text
    grading of low confidence), newest first (of ``group``'s students, if given)."""
    answers = Answer.objects.filter(offering_id=offering.pk, needs_review=True)
    return list(
        _in_group(answers, offering, group)
        .select_related("student", "question", "question__lesson")
        .order_by("-created_at")[:50]
    )


def student_answers(*, offering: Offering, student_id: int) -> list[Answer]:
    return list(
        Answer.objects.filter(offering_id=offering.pk, student_id=student_id)
        .select_related("question", "question__lesson")
        .order_by("question__lesson__order", "question__order", "question_id", "attempt_number")
    )


# --- submissions -----------------------------------------------------------------------------


def submissions_of(offering: Offering, filters: Filters) -> QuerySet[Submission]:
    return _in_range(
        Submission.objects.filter(offering_id=offering.pk), offering, filters, "created_at"
    )


def all_submissions() -> QuerySet[Submission]:
    """Every course's submissions: the queue is shared, so its health is everyone's."""
    return Submission.objects.all()


@dataclass(frozen=True)
class TaskRow:
    task: CodingTask
    submissions: int
    students: int
    students_passed: int


def task_pass_rates(offering: Offering, filters: Filters) -> list[TaskRow]:
    """Per task of the content: submissions, students who submitted and who passed."""
    tasks = tasks_of(offering)
    counts: dict[int, dict[str, Any]] = {
        row["task_id"]: dict(row)
        for row in submissions_of(offering, filters)
        .order_by()
        .values("task_id")
        .annotate(
            n=Count("id"),
            students=Count("student_id", distinct=True),
            passed=Count("student_id", distinct=True, filter=Q(status=Status.PASSED)),
        )
    }
    return [
        TaskRow(
            task,
            int(counts[task.pk]["n"]) if task.pk in counts else 0,
            int(counts[task.pk]["students"]) if task.pk in counts else 0,
            int(counts[task.pk]["passed"]) if task.pk in counts else 0,
        )
        for task in tasks
    ]


def active_student_count(
    offering: Offering, *, group: str | None = None, now: datetime | None = None
) -> int:
    """Students of the offering (of ``group``, if given) with an answer or a submission in
    the last seven days."""
    since = (now or timezone.now()) - timedelta(days=ACTIVE_DAYS)
    answering = Answer.objects.filter(offering_id=offering.pk, created_at__gte=since).values(
        "student_id"
    )
    submitting = Submission.objects.filter(offering_id=offering.pk, created_at__gte=since).values(
        "student_id"
    )
    members = Membership.objects.filter(offering_id=offering.pk, role=Role.STUDENT)
    if group is not None:
        members = members.filter(group=group)
    return members.filter(Q(user_id__in=answering) | Q(user_id__in=submitting)).count()


def recent_answers(offering: Offering, filters: Filters, limit: int = 15) -> list[Answer]:
    return list(
        _in_range(Answer.objects.filter(offering_id=offering.pk), offering, filters, "created_at")
        .select_related("student", "question", "question__lesson")
        .order_by("-created_at")[:limit]
    )


def recent_submissions(offering: Offering, filters: Filters, limit: int = 15) -> list[Submission]:
    return list(
        submissions_of(offering, filters)
        .select_related("student", "task")
        .defer("source", "spec", "admitted_spec", "result", "architecture")
        .order_by("-created_at")[:limit]
    )


def long_waiting(
    offering: Offering, *, group: str | None = None, now: datetime | None = None
) -> list[Submission]:
    """The offering's submissions (of ``group``'s students, if given) queued for longer
    than ``LONG_WAIT``, oldest first."""
    before = (now or timezone.now()) - LONG_WAIT
    waiting = Submission.objects.filter(
        offering_id=offering.pk, status=Status.QUEUED, created_at__lt=before
    )
    return list(
        _in_group(waiting, offering, group)
        .select_related("student", "task")
        .defer("source", "spec", "admitted_spec", "result", "architecture")
        .order_by("created_at")[:20]
    )


@dataclass(frozen=True)
class QueueCounts:
    by_status: dict[str, int]
    oldest_queued: datetime | None
    queues: dict[str, int]  # queued per Celery queue


def queue_counts(submissions: QuerySet[Submission]) -> QueueCounts:
    """Counts by status, the oldest queued submission's time and the queued per queue."""
    by_status = {
        row["status"]: row["n"]
        for row in submissions.order_by().values("status").annotate(n=Count("id"))
    }
    queued = submissions.filter(status=Status.QUEUED).order_by()
    oldest = queued.aggregate(oldest=Min("created_at"))["oldest"]
    queues = {row["queue"]: row["n"] for row in queued.values("queue").annotate(n=Count("id"))}
    return QueueCounts(by_status, oldest, queues)


def finish_times(submissions: QuerySet[Submission], *, since: datetime) -> list[datetime]:
    times = submissions.filter(finished_at__gte=since).order_by()
    return [at for at in times.values_list("finished_at", flat=True) if at is not None]


def task_submission_rows(
    *, offering: Offering, task: CodingTask, filters: Filters
) -> list[dict[str, Any]]:
    """The task's submissions in the offering: status, times, student and the parts of the
    verdict the page reads (checks and diagnostics, not the training histories)."""
    rows = (
        submissions_of(offering, filters)
        .filter(task_id=task.pk)
        .order_by("-created_at")
        .values(
            "id",
            "number",
            "student_id",
            "status",
            "created_at",
            "started_at",
            "finished_at",
            "result__checks",
            "result__diagnostics",
        )
    )
    return [dict(row) for row in rows]


def loss_histories(
    *, offering: Offering, task: CodingTask, filters: Filters, limit: int = 8
) -> list[tuple[int, int, int, Any, Any]]:
    """(id, student, number, seeds, representative) of the ``limit`` latest judged
    submissions: their training histories."""
    return list(
        submissions_of(offering, filters)
        .filter(task_id=task.pk, status__in=(Status.PASSED, Status.FAILED, Status.DIVERGED))
        .order_by("-finished_at", "-id")
        .values_list("id", "student_id", "number", "result__seeds", "result__representative")[
            :limit
        ]
    )


def student_submissions(*, offering: Offering, student_id: int) -> list[Submission]:
    return list(
        Submission.objects.filter(offering_id=offering.pk, student_id=student_id)
        .select_related("task", "grade_override")
        .defer("source", "spec", "admitted_spec", "result", "architecture")
        .order_by("task__order", "task__slug", "number")
    )


def last_activity(offering: Offering, *, group: str | None = None) -> dict[int, datetime]:
    """Each student's (of ``group``, if given) latest answer or submission in the
    offering."""
    latest: dict[int, datetime] = {}
    for model in (Answer, Submission):
        for student, at in (
            _in_group(model.objects.filter(offering_id=offering.pk), offering, group)
            .order_by()
            .values("student_id")
            .annotate(at=Max("created_at"))
            .values_list("student_id", "at")
        ):
            if student not in latest or at > latest[student]:
                latest[student] = at
    return latest
