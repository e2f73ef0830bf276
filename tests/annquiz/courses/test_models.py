"""Course models: natural keys, the per-attempt constraint, block validation."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from annquiz.courses.models import Answer, QuestionProgress, validate_blocks
from tests.annquiz.courses.factories import (
    AnswerFactory,
    CourseFactory,
    LessonFactory,
    QuestionFactory,
)
from tests.factories import StudentFactory

pytestmark = pytest.mark.django_db


def test_answer_attempt_number_is_unique_per_student_and_question() -> None:
    answer = AnswerFactory.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        AnswerFactory.create(student=answer.student, question=answer.question, attempt_number=1)
    AnswerFactory.create(student=answer.student, question=answer.question, attempt_number=2)
    AnswerFactory.create(question=answer.question, attempt_number=1)  # another student
    assert Answer.objects.filter(question=answer.question).count() == 3


def test_an_answered_question_cannot_be_deleted_with_its_answers() -> None:
    answer = AnswerFactory.create()
    with pytest.raises(ProtectedError), transaction.atomic():
        answer.question.delete()
    assert Answer.objects.filter(pk=answer.pk).exists()


def test_attempt_number_zero_is_refused_by_the_database() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        AnswerFactory.create(attempt_number=0)


def test_question_key_is_unique_per_course_not_globally() -> None:
    question = QuestionFactory.create(key="q-same")
    other_lesson = LessonFactory.create(course=question.course)
    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionFactory.create(key="q-same", lesson=other_lesson)
    QuestionFactory.create(key="q-same")  # a new course


def test_lesson_slug_is_unique_per_course() -> None:
    lesson = LessonFactory.create(slug="intro")
    with pytest.raises(IntegrityError), transaction.atomic():
        LessonFactory.create(slug="intro", course=lesson.course)
    LessonFactory.create(slug="intro", course=CourseFactory.create())


def test_question_course_follows_its_lesson() -> None:
    question = QuestionFactory.create()
    elsewhere = LessonFactory.create()
    question.lesson = elsewhere
    question.save(update_fields=["lesson"])
    question.refresh_from_db()
    assert question.course_id == elsewhere.course_id


def test_progress_is_unique_per_student_and_question() -> None:
    question = QuestionFactory.create()
    student = StudentFactory.create()
    QuestionProgress.objects.create(student=student, question=question)
    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionProgress.objects.create(student=student, question=question)


def test_progress_earns_the_model_answer_when_solved_or_out_of_attempts() -> None:
    progress = QuestionProgress(attempts_used=1, solved=False)
    assert not progress.model_answer_earned(3)
    assert progress.attempts_left(3) == 2
    assert QuestionProgress(attempts_used=3).model_answer_earned(3)
    assert QuestionProgress(attempts_used=1, solved=True).model_answer_earned(3)


@pytest.mark.parametrize(
    ("blocks", "message"),
    [
        ({"type": "html"}, "must be a JSON list"),
        (["text"], "blocks[0] must be an object"),
        ([{"type": "video", "src": "x"}], "blocks[0].type must be 'html' or 'question'"),
        ([{"type": "html", "html": "<p/>", "extra": 1}], "exactly the keys"),
        ([{"type": "question", "key": ""}], "blocks[0].key"),
        ([{"type": "html", "html": "x"}, {"type": "question", "key": 3}], "blocks[1].key"),
    ],
)
def test_bad_blocks_are_refused_with_the_place_named(blocks: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("[", r"\[").replace("]", r"\]")):
        validate_blocks(blocks)


def test_good_blocks_pass() -> None:
    validate_blocks([{"type": "html", "html": ""}, {"type": "question", "key": "q1"}])
