"""Reads of the gradebook: an offering's grading policy and its gradebook, computed in a
fixed number of queries (content, deadlines, students, answers and submissions each read
once, whatever the number of students) and scored by ``scoring``.

The offering comes from ``dashboards.selectors.offering_get_for_teacher`` (its instructors
and staff; anyone else gets the 404 of a missing course)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max, QuerySet

from annquiz.coding.grades import score_of
from annquiz.coding.models import CodingTask, Submission
from annquiz.courses.models import Answer, Lesson, Question
from annquiz.dashboards.filters import Filters
from annquiz.enrolment import selectors as enrolment
from annquiz.enrolment.models import LessonDeadline, Membership, Offering, Role, TaskSettings
from annquiz.gradebook.models import GradingPolicy
from annquiz.gradebook.scoring import (
    MISSING,
    AttemptRule,
    Cell,
    Item,
    ItemKind,
    Totals,
    Try,
    cell_from,
    preferred,
    totals_of,
)


def policy_of(offering: Offering) -> GradingPolicy:
    """The offering's grading policy, or the default one (unsaved) when none was set."""
    found = GradingPolicy.objects.filter(offering_id=offering.pk).first()
    return found if found is not None else GradingPolicy.default_for(offering)


@dataclass(frozen=True)
class Column:
    key: str  # "q:<question key>" or "t:<task slug>"
    kind: ItemKind
    label: str  # the question's key or the task's title
    slug: str  # the question's key or the task's slug
    lesson: str | None  # the lesson's title (None: a task of no lesson)
    weight: float
    due_at: datetime | None


@dataclass(frozen=True)
class ColumnGroup:
    title: str
    columns: list[Column]


@dataclass(frozen=True)
class StudentRow:
    id: int
    name: str
    username: str
    group: str
    cells: list[Cell]  # in the columns' order
    totals: Totals


@dataclass(frozen=True)
class Gradebook:
    policy: GradingPolicy
    column_groups: list[ColumnGroup]
    rows: list[StudentRow]

    @property
    def columns(self) -> list[Column]:
        return [c for g in self.column_groups for c in g.columns]


def content_of(offering: Offering) -> tuple[list[tuple[Lesson, list[Question]]], list[CodingTask]]:
    """The content's active lessons in order with their active questions, and its active
    coding tasks."""
    # Only the fields a column shows: questions and tasks carry large texts and configs.
    lessons = list(
        Lesson.objects.filter(course_id=offering.course_id, is_active=True).only(
            "id", "slug", "title", "order"
        )
    )
    by_lesson: dict[int, list[Question]] = defaultdict(list)
    questions = Question.objects.filter(course_id=offering.course_id, is_active=True)
    for question in questions.only("id", "lesson_id", "key", "points").order_by(
        "lesson_id", "order", "id"
    ):
        by_lesson[question.lesson_id].append(question)
    tasks = list(
        CodingTask.objects.filter(course_id=offering.course_id, is_active=True).only(
            "id", "slug", "title", "lesson_id"
        )
    )
    return [(lesson, by_lesson[lesson.pk]) for lesson in lessons], tasks


def _columns(
    offering: Offering,
    policy: GradingPolicy,
    lessons: list[tuple[Lesson, list[Question]]],
    tasks: list[CodingTask],
) -> list[ColumnGroup]:
    lesson_due = dict(
        LessonDeadline.objects.filter(offering_id=offering.pk).values_list("lesson_id", "due_at")
    )
    task_due = dict(
        TaskSettings.objects.filter(offering_id=offering.pk, due_at__isnull=False).values_list(
            "task_id", "due_at"
        )
    )
    tasks_by_lesson: dict[int | None, list[CodingTask]] = defaultdict(list)
    lesson_ids = {lesson.pk for lesson, _ in lessons}
    for task in tasks:
        tasks_by_lesson[task.lesson_id if task.lesson_id in lesson_ids else None].append(task)

    def task_column(task: CodingTask, lesson: str | None) -> Column:
        return Column(
            f"t:{task.slug}",
            "task",
            task.title,
            task.slug,
            lesson,
            policy.task_weight(task.slug),
            task_due.get(task.pk),
        )

    groups = []
    for lesson, questions in lessons:
        columns = [
            Column(
                f"q:{q.key}",
                "question",
                q.key,
                q.key,
                lesson.title,
                policy.lesson_weight(lesson.slug) * q.points,
                lesson_due.get(lesson.pk),
            )
            for q in questions
        ]
        columns += [task_column(t, lesson.title) for t in tasks_by_lesson.get(lesson.pk, [])]
        if columns:
            groups.append(ColumnGroup(lesson.title, columns))
    if tasks_by_lesson.get(None):
        groups.append(
            ColumnGroup("Coding tasks", [task_column(t, None) for t in tasks_by_lesson[None]])
        )
    return groups


def _scoped(queryset: QuerySet[Any], offering: Offering, filters: Filters) -> QuerySet[Any]:
    if filters.group is not None:
        queryset = queryset.filter(
            student_id__in=enrolment.group_member_ids(offering_id=offering.pk, group=filters.group)
        )
    if filters.start is not None:
        queryset = queryset.filter(created_at__gte=filters.start)
    if filters.end is not None:
        queryset = queryset.filter(created_at__lt=filters.end)
    return queryset


# The rows, computed from every answer and submission of the course, are kept under a
# fingerprint of all they depend on (``_rows_key``), like the dashboards' statistics.
ROWS_CACHE_SECONDS = 600


def gradebook_of(offering: Offering, filters: Filters) -> Gradebook:
    """Every student of the offering (of the filters' group) with their cell on each
    question and task and their totals, by the offering's policy; only work made within the
    filters' date range counts."""
    policy = policy_of(offering)
    lessons, tasks = content_of(offering)
    column_groups = _columns(offering, policy, lessons, tasks)
    columns = [c for g in column_groups for c in g.columns]
    members = Membership.objects.filter(offering_id=offering.pk, role=Role.STUDENT)
    if filters.group is not None:
        members = members.filter(group=filters.group)
    students = list(
        members.order_by("user__last_name", "user__first_name", "user__username").values_list(
            "user_id", "user__first_name", "user__last_name", "user__username", "group"
        )
    )
    key = _rows_key(offering, filters, policy, columns, students)
    rows = cache.get(key)
    if not isinstance(rows, list):
        question_ids = {q.pk: f"q:{q.key}" for _, qs in lessons for q in qs}
        task_ids = {t.pk: f"t:{t.slug}" for t in tasks}
        chosen = _chosen(offering, filters, policy, question_ids, task_ids)
        rows = _rows(policy, columns, students, chosen)
        cache.set(key, rows, ROWS_CACHE_SECONDS)
    return Gradebook(policy, column_groups, rows)


def _rows_key(
    offering: Offering,
    filters: Filters,
    policy: GradingPolicy,
    columns: list[Column],
    students: list[tuple[Any, ...]],
) -> str:
    """What the rows depend on: the policy, the columns and their weights, the students
    (names, groups), and the course's work: its answers and submissions (their number and
    newest id), the newest judging to finish, regrade applied and instructor's decision
    (these change grades in place)."""
    answers = Answer.objects.filter(offering_id=offering.pk).aggregate(
        n=Count("id"), last=Max("id")
    )
    submissions = Submission.objects.filter(offering_id=offering.pk).aggregate(
        n=Count("id"),
        last=Max("id"),
        finished=Max("finished_at"),
        regraded=Max("grade_history__id"),
    )
    decided = Offering.objects.filter(pk=offering.pk).aggregate(last=Max("grade_changes__id"))
    depends = (
        offering.join_code,  # an offering's id may be used again after it is deleted
        filters.query(),
        policy.attempt,
        policy.late_factor,
        policy.questions_percent,
        [(c.key, c.weight) for c in columns],
        students,
        sorted(answers.items()),
        sorted((k, str(v)) for k, v in submissions.items()),
        decided["last"],
    )
    digest = hashlib.blake2b(repr(depends).encode(), digest_size=16).hexdigest()
    return f"gradebook:rows:{offering.pk}:{digest}"


def _chosen(
    offering: Offering,
    filters: Filters,
    policy: GradingPolicy,
    question_ids: dict[int, str],
    task_ids: dict[int, str],
) -> dict[tuple[int, str], tuple[Try | None, int]]:
    """Each student's chosen try at each column's item (within the filters) by the policy's
    attempt rule, with their number of tries: one pass over the course's answers and
    submissions (``scoring.preferred``)."""
    attempt: AttemptRule = policy.attempt  # type: ignore[assignment]
    late_factor = policy.late_factor
    chosen: dict[tuple[int, str], tuple[Try | None, int]] = {}

    def add(key: tuple[int, str], candidate: Try) -> None:
        kept, tries = chosen.get(key, (None, 0))
        kept = preferred(kept, candidate, attempt=attempt, late_factor=late_factor)
        chosen[key] = (kept, tries + 1)

    answers = _scoped(
        Answer.objects.filter(offering_id=offering.pk, question_id__in=list(question_ids)),
        offering,
        filters,
    )
    for student, question, number, score, late in answers.order_by().values_list(
        "student_id", "question_id", "attempt_number", "score", "is_late"
    ):
        add((student, question_ids[question]), Try(number, score, late))
    submissions = _scoped(
        Submission.objects.filter(offering_id=offering.pk, task_id__in=list(task_ids)),
        offering,
        filters,
    )
    # Plain values, the override's score among them: ``score_of`` is ``submission_score``.
    for student, task, number, status, override, late in submissions.order_by().values_list(
        "student_id", "task_id", "number", "status", "grade_override__score", "is_late"
    ):
        score = score_of(status=status, override_score=override)
        add((student, task_ids[task]), Try(number, score, late))
    return chosen


def _rows(
    policy: GradingPolicy,
    columns: list[Column],
    students: list[tuple[Any, ...]],
    chosen: dict[tuple[int, str], tuple[Try | None, int]],
) -> list[StudentRow]:
    items = [Item(c.key, c.kind, c.weight) for c in columns]
    rows = []
    for user_id, first, last, username, group in students:
        cells = {}
        for column in columns:
            found = chosen.get((user_id, column.key))
            cells[column.key] = (
                MISSING
                if found is None
                else cell_from(found[0], attempts=found[1], late_factor=policy.late_factor)
            )
        rows.append(
            StudentRow(
                id=user_id,
                name=f"{first} {last}".strip() or username,
                username=username,
                group=group,
                cells=[cells[c.key] for c in columns],
                totals=totals_of(cells, items, questions_percent=policy.questions_percent),
            )
        )
    return rows
