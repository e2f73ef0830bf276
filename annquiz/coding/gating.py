"""When a coding task opens to a student: some tasks' rules give a lesson checkpoint's answer
away (a task that requires an RNN layer answers "which network for stock prices?"), so such a
task names that question in ``CodingTask.opens_after`` and opens only once the student has
earned its model answer, by the one rule the lesson pages reveal it by
(``courses.selectors.QuestionStatus.model_answer_earned``: solved, or every attempt used).

Until then the task is *locked* for the student: its title and summary can be read, not its
statement, rules or starter, and it takes no submissions (``TaskLocked``, 409). Instructors of
the course and staff always find it open. A task whose question is missing from its course
(``load_tasks`` refuses to store one) is open.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from annquiz.coding.errors import TaskLocked
from annquiz.coding.models import CodingTask
from annquiz.courses.models import Question
from annquiz.courses.selectors import question_statuses_for_student
from annquiz.enrolment import selectors as enrolment
from annquiz.enrolment.models import Offering

AnyUser = AbstractBaseUser | AnonymousUser


@dataclass(frozen=True)
class TaskLock:
    """Why a task is locked for a student: the checkpoint to answer, and where it is."""

    task_slug: str
    checkpoint: str
    lesson_title: str
    url: str

    @property
    def reason(self) -> str:
        return (
            f"This task opens once you have answered the checkpoint {self.checkpoint!r} in the "
            f"lesson “{self.lesson_title}”."
        )

    def as_data(self) -> dict[str, Any]:
        return {
            "checkpoint": self.checkpoint,
            "lesson": self.lesson_title,
            "url": self.url,
            "reason": self.reason,
        }


def _lock(task: CodingTask, question: Question, offering: Offering | None) -> TaskLock:
    course_slug = offering.slug if offering is not None else question.course.slug
    url = reverse("courses:lesson", args=[course_slug, question.lesson.slug])
    return TaskLock(
        task_slug=task.slug,
        checkpoint=question.key,
        lesson_title=question.lesson.title,
        url=f"{url}#question-{question.key}",
    )


def task_locks_for_user(*, user: AnyUser, tasks: Iterable[CodingTask]) -> dict[int, TaskLock]:
    """``{task_id: lock}`` for those of ``tasks`` that are locked for ``user`` (2 queries,
    and 2 more per gated task whose checkpoint is not earned)."""
    gated = [task for task in tasks if task.opens_after]
    if not gated or not user.is_authenticated or enrolment.is_staff(user):
        return {}
    questions: dict[tuple[int | None, str], Question] = {
        (question.course_id, question.key): question
        for question in Question.objects.filter(
            course_id__in={task.course_id for task in gated},
            key__in={task.opens_after for task in gated},
        ).select_related("lesson", "course")
    }
    statuses = question_statuses_for_student(student=user, questions=questions.values())
    locks = {}
    for task in gated:
        question = questions.get((task.course_id, task.opens_after))
        if question is None or statuses[question.pk].model_answer_earned:
            continue
        offering = enrolment.offering_for_content(user=user, course_id=task.course_id)
        if offering is not None and enrolment.may_teach(user=user, offering_id=offering.pk):
            continue
        locks[task.pk] = _lock(task, question, offering)
    return locks


def task_lock_for_user(*, user: AnyUser, task: CodingTask) -> TaskLock | None:
    """Why ``task`` is locked for ``user``, or None when it is open to them."""
    return task_locks_for_user(user=user, tasks=[task]).get(task.pk)


def task_require_unlocked(*, user: AnyUser, task: CodingTask) -> None:
    """Raise ``TaskLocked`` (409, naming the checkpoint) when ``task`` is locked for ``user``."""
    lock = task_lock_for_user(user=user, task=task)
    if lock is not None:
        raise TaskLocked(
            f"the task {task.slug!r} opens once you have answered the checkpoint "
            f"{lock.checkpoint!r} in the lesson “{lock.lesson_title}” ({lock.url})"
        )
