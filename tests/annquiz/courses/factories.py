"""Factories for course content, variants and answers (users come from tests/factories.py).

Call them as ``XFactory.create(...)``, which is typed to return the model.
"""

# factory_boy's declarations are untyped callables.
# mypy: disable-error-code="no-untyped-call,untyped-decorator"

from __future__ import annotations

from typing import Any

from factory.declarations import LazyAttribute, LazyFunction, Sequence, SubFactory
from factory.django import DjangoModelFactory
from factory.helpers import post_generation

from annquiz.courses.models import Answer, Course, Lesson, Question, QuestionKind, Verdict
from annquiz.enrolment.models import Offering
from annquiz.enrolment.services import offering_ensure_default
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
                    "claims": [
                        {"term": ["@overfitting"]},
                        {"subject": ["@model"], "predicate": ["@overfitting", "@memorizes"]},
                    ],
                },
                {
                    "key": "remedy",
                    "label": "a remedy such as dropout",
                    "weight": 0.4,
                    "claims": [{"term": ["dropout", "regulari", "early stopping"], "as": "action"}],
                },
            ],
            "contradictions": [],
            "pass_threshold": 0.7,
        }
    }


class CourseFactory(DjangoModelFactory[Course]):
    """Course content with its default offering (slug and title of the content), as
    ``load_course`` makes it."""

    class Meta:
        model = Course
        django_get_or_create = ("slug",)
        skip_postgeneration_save = True

    slug = Sequence(lambda n: f"course-{n}")
    title = Sequence(lambda n: f"Course {n}")
    description_html = "<p>About the course.</p>"

    @post_generation
    def default_offering(course: Course, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            offering_ensure_default(course=course)


def default_offering(course: Course) -> Offering:
    """The content's default offering (made by ``CourseFactory``)."""
    return offering_ensure_default(course=course).offering


class LessonFactory(DjangoModelFactory[Lesson]):
    class Meta:
        model = Lesson

    course = SubFactory(CourseFactory)
    slug = Sequence(lambda n: f"lesson-{n}")
    title = Sequence(lambda n: f"Lesson {n}")
    order = Sequence(lambda n: n + 1)
    summary = "What the lesson covers."
    blocks = LazyFunction(lambda: [{"type": "html", "html": "<p>Text.</p>"}])


class QuestionFactory(DjangoModelFactory[Question]):
    """A single-choice question (answer "b") placed at the end of its lesson's blocks."""

    class Meta:
        model = Question
        skip_postgeneration_save = True

    lesson = SubFactory(LessonFactory)
    course = LazyAttribute(lambda question: question.lesson.course)
    key = Sequence(lambda n: f"q{n}")
    kind = QuestionKind.SINGLE_CHOICE
    prompt_html = LazyAttribute(lambda question: f"<p>Prompt of {question.key}</p>")
    hints_html = LazyFunction(lambda: ["<p>HINT-ONE-TEXT</p>", "<p>HINT-TWO-TEXT</p>"])
    explanation_html = "<p>The explanation from the handout.</p>"
    model_answer_html = "<p>MODEL-ANSWER-TEXT</p>"
    handout_section = "lesson"
    max_attempts = 3
    points = 1.0
    order = Sequence(lambda n: n + 1)
    config = LazyFunction(single_choice_config)

    @post_generation
    def placed(question: Question, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted is not False:
            lesson = question.lesson
            lesson.blocks = [*lesson.blocks, {"type": "question", "key": question.key}]
            lesson.save(update_fields=["blocks"])


class AnswerFactory(DjangoModelFactory[Answer]):
    """A stored answer row (bypasses grading; for read tests only)."""

    class Meta:
        model = Answer

    student = SubFactory(StudentFactory)
    question = SubFactory(QuestionFactory)
    response = LazyFunction(lambda: {"choice": "a"})
    score = 0.0
    verdict = Verdict.INCORRECT
    feedback = "Not quite."
    details = LazyFunction(dict)
    attempt_number = 1
    offering = LazyAttribute(lambda answer: default_offering(answer.question.course))


def parametrized_question(**kwargs: Any) -> Question:
    """A parametrized question: one SGD step, numbers drawn per student."""
    config = {"template": "sgd_step", "tolerance": 0.001}
    return QuestionFactory.create(kind=QuestionKind.PARAMETRIZED, config=config, **kwargs)


def softmax_question(**kwargs: Any) -> Question:
    """A parametrized question asking for softmax's whole vector of three probabilities."""
    config = {"template": "softmax", "ranges": {"n_logits": [3, 3]}, "tolerance": 0.001}
    return QuestionFactory.create(kind=QuestionKind.PARAMETRIZED, config=config, **kwargs)
