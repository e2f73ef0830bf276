"""Factories for course content, variants and answers (users come from tests/factories.py)."""

from __future__ import annotations

from typing import Any

import factory

from annquiz.courses.models import Answer, Course, Lesson, Question, QuestionKind, Verdict
from tests.factories import StudentFactory


def single_choice_config(correct: str = "b") -> dict[str, Any]:
    return {
        "choices": [
            {
                "key": key,
                "text": f"Option {key}",
                "correct": key == correct,
                "feedback": f"fb-{key}",
            }
            for key in ("a", "b", "c")
        ]
    }


def numeric_config(answer: float = 0.731, tolerance: float = 0.001) -> dict[str, Any]:
    return {"answer": answer, "tolerance": tolerance, "relative": False, "unit": ""}


def free_text_config() -> dict[str, Any]:
    return {
        "rubric": {
            "concepts": [
                {
                    "key": "overfitting",
                    "label": "overfitting",
                    "weight": 0.6,
                    "patterns": ["overfit", "memoriz", "memoris"],
                },
                {
                    "key": "remedy",
                    "label": "a remedy such as dropout",
                    "weight": 0.4,
                    "patterns": ["dropout", "regulari", "early stopping"],
                },
            ],
            "contradictions": [],
            "pass_threshold": 0.7,
        }
    }


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"course-{n}")
    title = factory.Sequence(lambda n: f"Course {n}")
    description_html = "<p>About the course.</p>"


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson

    course = factory.SubFactory(CourseFactory)
    slug = factory.Sequence(lambda n: f"lesson-{n}")
    title = factory.Sequence(lambda n: f"Lesson {n}")
    order = factory.Sequence(lambda n: n + 1)
    summary = "What the lesson covers."
    blocks = factory.LazyFunction(lambda: [{"type": "html", "html": "<p>Text.</p>"}])


class QuestionFactory(factory.django.DjangoModelFactory):
    """A single-choice question (answer "b") placed at the end of its lesson's blocks."""

    class Meta:
        model = Question
        skip_postgeneration_save = True

    lesson = factory.SubFactory(LessonFactory)
    course = factory.LazyAttribute(lambda question: question.lesson.course)
    key = factory.Sequence(lambda n: f"q{n}")
    kind = QuestionKind.SINGLE_CHOICE
    prompt_html = factory.LazyAttribute(lambda question: f"<p>Prompt of {question.key}</p>")
    explanation_html = "<p>The explanation from the handout.</p>"
    model_answer_html = "<p>MODEL-ANSWER-TEXT</p>"
    handout_section = "lesson"
    max_attempts = 3
    points = 1.0
    order = factory.Sequence(lambda n: n + 1)
    config = factory.LazyFunction(single_choice_config)

    @factory.post_generation
    def placed(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted is not False:
            lesson = self.lesson
            lesson.blocks = [*lesson.blocks, {"type": "question", "key": self.key}]
            lesson.save(update_fields=["blocks"])


class AnswerFactory(factory.django.DjangoModelFactory):
    """A stored answer row (bypasses grading; for read tests only)."""

    class Meta:
        model = Answer

    student = factory.SubFactory(StudentFactory)
    question = factory.SubFactory(QuestionFactory)
    response = factory.LazyFunction(lambda: {"choice": "a"})
    score = 0.0
    verdict = Verdict.INCORRECT
    feedback = "Not quite."
    details = factory.LazyFunction(dict)
    attempt_number = 1
