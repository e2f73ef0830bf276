"""Logic about many course objects at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from annquiz.courses.models import (  # noqa: F401  (named in the base classes' strings)
        Answer,
        Lesson,
        Question,
        QuestionProgress,
    )


class LessonQuerySet(models.QuerySet["Lesson"]):
    def active(self) -> LessonQuerySet:
        return self.filter(is_active=True)


class QuestionQuerySet(models.QuerySet["Question"]):
    def active(self) -> QuestionQuerySet:
        """Questions a student can see: active, in an active lesson."""
        return self.filter(is_active=True, lesson__is_active=True)


class AnswerQuerySet(models.QuerySet["Answer"]):
    def of_student(self, student: AbstractBaseUser | AnonymousUser) -> AnswerQuerySet:
        if not student.is_authenticated:
            return self.none()
        return self.filter(student_id=student.pk)


class QuestionProgressQuerySet(models.QuerySet["QuestionProgress"]):
    def of_student(self, student: AbstractBaseUser | AnonymousUser) -> QuestionProgressQuerySet:
        if not student.is_authenticated:
            return self.none()
        return self.filter(student_id=student.pk)

    def by_question_id(self, question_ids: Iterable[int]) -> dict[int, QuestionProgress]:
        """``{question_id: progress}`` for the given questions, in one query."""
        return {row.question_id: row for row in self.filter(question_id__in=list(question_ids))}
