"""Selectors: access checks, progress, what feedback may show, query counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from annquiz.courses import selectors
from annquiz.courses.models import QuestionProgress
from annquiz.courses.services import answer_submit, variants_get_or_create
from tests.annquiz.courses.factories import (
    AnswerFactory,
    CourseFactory,
    LessonFactory,
    QuestionFactory,
    default_offering,
    parametrized_question,
)
from tests.factories import StudentFactory

pytestmark = pytest.mark.django_db


def test_anonymous_users_see_no_courses_and_get_nothing() -> None:
    question = QuestionFactory.create()
    anonymous = AnonymousUser()
    assert list(selectors.course_list_for_user(user=anonymous)) == []
    with pytest.raises(PermissionDenied):
        selectors.question_get_for_user(user=anonymous, question_id=question.pk)
    with pytest.raises(PermissionDenied):
        selectors.lesson_get_for_user(user=anonymous, lesson_id=question.lesson_id)


def test_course_list_counts_active_lessons() -> None:
    course = CourseFactory.create()
    LessonFactory.create(course=course)
    LessonFactory.create(course=course, is_active=False)
    listed = selectors.course_list_for_user(user=StudentFactory.create()).get(course=course)
    assert getattr(listed, "lesson_count") == 1  # noqa: B009 (an annotation)


def test_inactive_and_unknown_questions_are_404() -> None:
    student = StudentFactory.create()
    inactive = QuestionFactory.create(is_active=False)
    in_inactive_lesson = QuestionFactory.create(lesson=LessonFactory.create(is_active=False))
    for question_id in (inactive.pk, in_inactive_lesson.pk, 10**9):
        with pytest.raises(Http404):
            selectors.question_get_for_user(user=student, question_id=question_id)


def test_lessons_are_found_by_id_and_by_slugs_with_active_questions_in_order() -> None:
    lesson = LessonFactory.create()
    second = QuestionFactory.create(lesson=lesson, order=2)
    first = QuestionFactory.create(lesson=lesson, order=1)
    QuestionFactory.create(lesson=lesson, order=3, is_active=False)
    student = StudentFactory.create()
    by_id = selectors.lesson_get_for_user(user=student, lesson_id=lesson.pk)
    by_slug = selectors.lesson_get_by_slug_for_user(
        user=student, course_slug=lesson.course.slug, lesson_slug=lesson.slug
    )
    assert by_id == by_slug == lesson
    assert selectors.lesson_questions(by_id) == [first, second]
    with pytest.raises(Http404):
        selectors.lesson_get_by_slug_for_user(
            user=student, course_slug="nope", lesson_slug=lesson.slug
        )


def test_lesson_neighbours_skip_inactive_lessons() -> None:
    course = CourseFactory.create()
    one = LessonFactory.create(course=course, order=1)
    LessonFactory.create(course=course, order=2, is_active=False)
    three = LessonFactory.create(course=course, order=3)
    assert selectors.lesson_neighbours(lesson=one) == (None, three)
    assert selectors.lesson_neighbours(lesson=three) == (one, None)


def test_course_progress_counts_per_lesson_and_weights_points(
    django_assert_max_num_queries: Any,
) -> None:
    course = CourseFactory.create()
    lesson_a = LessonFactory.create(course=course, order=1)
    lesson_b = LessonFactory.create(course=course, order=2)
    q1 = QuestionFactory.create(lesson=lesson_a, points=1.0)
    q2 = QuestionFactory.create(lesson=lesson_a, points=3.0)
    QuestionFactory.create(lesson=lesson_b)
    QuestionFactory.create(lesson=lesson_b, is_active=False)
    student = StudentFactory.create()
    answer_submit(student=student, question=q1, response={"choice": "b"})
    answer_submit(student=student, question=q2, response={"choice": "a"})
    answer_submit(student=StudentFactory.create(), question=q2, response={"choice": "b"})

    offering = default_offering(course)
    with django_assert_max_num_queries(3):
        progress = selectors.course_progress_for_student(student=student, course=offering)

    first, second = progress.lessons
    assert (first.total, first.answered, first.solved, first.attempts) == (2, 2, 1, 2)
    assert first.points == 1.0 and first.max_points == 4.0
    assert first.score_percent == 25.0
    assert first.answered_percent == 100.0
    assert (second.total, second.answered, second.score_percent) == (1, 0, 0.0)
    assert (progress.total, progress.answered, progress.solved) == (3, 2, 1)
    assert progress.score_percent == 20.0
    statuses = {status.question.pk: status for status in first.questions}
    assert statuses[q2.pk].attempts_left == 2
    assert statuses[q1.pk].model_answer_earned


def test_progress_queries_do_not_grow_with_the_number_of_questions(
    django_assert_max_num_queries: Any,
) -> None:
    lesson = LessonFactory.create()
    questions = [QuestionFactory.create(lesson=lesson) for _ in range(12)]
    student = StudentFactory.create()
    for question in questions[:6]:
        answer_submit(student=student, question=question, response={"choice": "a"})
    lesson = selectors.lesson_get_for_user(user=student, lesson_id=lesson.pk)
    with django_assert_max_num_queries(2):
        view = selectors.lesson_view_for_student(student=student, lesson=lesson, variants={})
    assert len([b for b in view.blocks if b.type == "question"]) == 12
    assert view.progress.answered == 6


def test_feedback_hides_the_model_answer_until_earned() -> None:
    question = QuestionFactory.create(max_attempts=2)
    student = StudentFactory.create()
    first = answer_submit(student=student, question=question, response={"choice": "a"})
    shown = selectors.feedback_for_answer(answer=first)
    assert shown.model_answer_html is None
    assert not shown.model_answer_earned
    assert shown.explanation_html is None
    assert shown.hints_html == ("<p>HINT-ONE-TEXT</p>",)
    assert (shown.attempt_number, shown.attempts_left) == (1, 1)

    answer_submit(student=student, question=question, response={"choice": "c"})
    shown = selectors.feedback_for_answer(answer=first)
    assert shown.model_answer_html == question.model_answer_html
    assert shown.explanation_html == question.explanation_html
    assert shown.hints_html == ("<p>HINT-ONE-TEXT</p>", "<p>HINT-TWO-TEXT</p>")
    assert shown.attempts_left == 0


def test_feedback_shows_the_model_answer_once_solved() -> None:
    question = QuestionFactory.create()
    answer = answer_submit(
        student=StudentFactory.create(), question=question, response={"choice": "b"}
    )
    assert selectors.feedback_for_answer(answer=answer).model_answer_html


def test_details_that_give_the_answer_away_wait_until_earned() -> None:
    question = QuestionFactory.create(max_attempts=2)
    student = StudentFactory.create()
    answer = AnswerFactory.create(
        student=student,
        question=question,
        details={"found": ["x"], "expected": 0.731, "missing": []},
    )
    QuestionProgress.objects.create(student=student, question=question, attempts_used=1)
    assert selectors.feedback_for_answer(answer=answer).details == {"found": ["x"], "missing": []}
    QuestionProgress.objects.filter(student=student).update(attempts_used=2)
    assert selectors.feedback_for_answer(answer=answer).details["expected"] == 0.731


def test_lesson_view_shows_blocks_in_order_with_the_students_variant() -> None:
    lesson = LessonFactory.create(blocks=[{"type": "html", "html": "<p>Intro</p>"}])
    plain = QuestionFactory.create(lesson=lesson, order=1)
    parametrized_question(lesson=lesson, order=2)
    hidden = QuestionFactory.create(lesson=lesson, order=3, is_active=False)
    student = StudentFactory.create()
    answer_submit(student=student, question=plain, response={"choice": "a"})
    lesson = selectors.lesson_get_for_user(user=student, lesson_id=lesson.pk)
    variants = variants_get_or_create(student=student, questions=selectors.lesson_questions(lesson))

    view = selectors.lesson_view_for_student(student=student, lesson=lesson, variants=variants)

    kinds = [b.type for b in view.blocks]
    assert kinds == ["html", "question", "question"]
    plain_block, param_block = view.blocks[1], view.blocks[2]
    assert isinstance(plain_block, selectors.QuestionBlockView)
    assert isinstance(param_block, selectors.QuestionBlockView)
    assert plain_block.status.attempts_used == 1
    assert plain_block.last_feedback is not None
    assert plain_block.last_feedback.model_answer_html is None
    assert "correct" not in str(plain_block.public_config)
    assert param_block.variant is not None
    assert param_block.prompt_html == param_block.variant.prompt_html
    shown_keys = [b.question.key for b in view.blocks if isinstance(b, selectors.QuestionBlockView)]
    assert hidden.key not in shown_keys
    assert len(shown_keys) == 2


def test_answer_list_is_only_the_users_own() -> None:
    question = QuestionFactory.create()
    mine = AnswerFactory.create(question=question)
    AnswerFactory.create(question=question)
    assert list(selectors.answer_list_for_user(user=mine.student, question=question)) == [mine]
