"""API serializers: one input serializer for answers, output serializers for everything read.

Output serializers read the selectors' objects (models and the frozen dataclasses in
``selectors``); none of them has a field for an answer key, a rubric, a choice's ``correct``
flag, or an explanation or model answer that is not earned yet.
"""

from __future__ import annotations

import math
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from annquiz.core.serializers import ClosedInputSerializer
from annquiz.courses.selectors import HtmlBlockView, QuestionBlockView

# --- input ---------------------------------------------------------------------------------

MAX_RESPONSE_DEPTH = 4


# Text that is not blank: the grading refuses empty and whitespace-only answers.
_TEXT = {"type": "string", "minLength": 1, "maxLength": 5000, "pattern": r"\S"}
_KEY = {"type": "string", "minLength": 1, "maxLength": 100, "pattern": r"\S"}
_NUMBER_OR_TEXT = {
    "oneOf": [{"type": "number"}, {"type": "string", "minLength": 1, "maxLength": 64}]
}

# What every answer may hold; which fields one question takes is in its ``public_config``.
RESPONSE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": False,
    "properties": {
        "choice": _KEY,
        "choices": {"type": "array", "items": _KEY},
        "value": _NUMBER_OR_TEXT,
        "values": {"type": "array", "items": _NUMBER_OR_TEXT},
        "text": _TEXT,
    },
}


@extend_schema_field(RESPONSE_SCHEMA)
class AnswerResponseField(serializers.JSONField):
    """A JSON object; a number too large for a float (``1e999``) is named, not just refused."""

    def to_internal_value(self, data: Any) -> Any:
        where = _non_finite(data, "", depth=0)
        if where == "":
            raise serializers.ValidationError("is not a finite number (it overflows a float)")
        if where is not None:
            raise serializers.ValidationError(
                {where: ["is not a finite number (it overflows a float)"]}
            )
        return super().to_internal_value(data)


def _non_finite(value: Any, where: str, *, depth: int) -> str | None:
    """The path in ``value`` (``""`` for itself, ``"values[1]"``) of an infinite or NaN
    number, which JSON cannot hold; None if there is none."""
    if isinstance(value, float) and not math.isfinite(value):
        return where
    if depth > MAX_RESPONSE_DEPTH:
        return None  # refused as too deep by the answer's own validation
    if isinstance(value, dict):
        found = (
            _non_finite(v, f"{where}.{k}" if where else str(k), depth=depth + 1)
            for k, v in value.items()
        )
    elif isinstance(value, list):
        found = (_non_finite(v, f"{where}[{i}]", depth=depth + 1) for i, v in enumerate(value))
    else:
        return None
    return next((path for path in found if path is not None), None)


class AnswerInputSerializer(ClosedInputSerializer):
    """``{"response": {...}, "variant": id?}``; any other top-level field is an error."""

    response = AnswerResponseField(
        help_text=(
            'The answer, shaped by the question\'s kind: {"choice": "b"}, {"choices": ["a", "c"]}, '
            '{"value": 0.73}, {"text": "..."} (plus "choice" when the question has a choice '
            'part), {"values": [...]} for a vector answer.'
        )
    )
    variant = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="The id of the student's own variant of a parametrized question.",
    )

    def validate_response(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise serializers.ValidationError(
                f'must be a JSON object such as {{"choice": "a"}}, not {type(value).__name__}'
            )
        if not value:
            raise serializers.ValidationError("is empty: give your answer")
        for key, item in value.items():
            problem = _text_problem(key, f"response key {key!r}", depth=1) or _text_problem(
                item, f"response.{key}", depth=1
            )
            if problem:
                raise serializers.ValidationError({key: [problem]})
        return value


def _text_problem(value: Any, where: str, *, depth: int) -> str | None:
    """Why ``value`` cannot be stored in an answer (binary text, deep nesting), or None."""
    if depth > MAX_RESPONSE_DEPTH:
        return f"{where} is nested too deeply for an answer"
    if isinstance(value, str):
        if "\x00" in value:
            return f"{where} contains a NUL character: send text, not binary data"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"{where} is not valid Unicode text (it has a lone surrogate)"
        return None
    items: list[tuple[str, Any]]
    if isinstance(value, dict):
        items = [(f"{where} key", key) for key in value]
        items += [(f"{where}.{key}", item) for key, item in value.items()]
    elif isinstance(value, list):
        items = [(f"{where}[{index}]", item) for index, item in enumerate(value)]
    else:
        return None
    for path, item in items:
        problem = _text_problem(item, path, depth=depth + 1)
        if problem:
            return problem
    return None


# --- output --------------------------------------------------------------------------------


class CourseSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    slug = serializers.SlugField()
    title = serializers.CharField()
    description_html = serializers.CharField()
    lesson_count = serializers.IntegerField()


class LessonSummarySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    slug = serializers.SlugField()
    title = serializers.CharField()
    order = serializers.IntegerField()
    summary = serializers.CharField()
    question_count = serializers.IntegerField()


class QuestionProgressSerializer(serializers.Serializer[Any]):
    question = serializers.IntegerField(source="question.pk")
    key = serializers.CharField(source="question.key")
    answered = serializers.BooleanField()
    attempts_used = serializers.IntegerField()
    attempts_left = serializers.IntegerField()
    max_attempts = serializers.IntegerField(source="question.max_attempts")
    best_score = serializers.FloatField()
    solved = serializers.BooleanField()
    last_answered_at = serializers.DateTimeField(allow_null=True)


class LessonProgressSerializer(serializers.Serializer[Any]):
    lesson = serializers.IntegerField(source="lesson.pk")
    slug = serializers.SlugField(source="lesson.slug")
    title = serializers.CharField(source="lesson.title")
    total = serializers.IntegerField(help_text="active questions in the lesson")
    answered = serializers.IntegerField()
    solved = serializers.IntegerField()
    attempts = serializers.IntegerField()
    points = serializers.FloatField(help_text="best scores weighted by each question's points")
    max_points = serializers.FloatField()
    score_percent = serializers.FloatField()
    answered_percent = serializers.FloatField()
    questions = QuestionProgressSerializer(many=True)


class CourseProgressSerializer(serializers.Serializer[Any]):
    course = serializers.SlugField(source="course.slug")
    title = serializers.CharField(source="course.title")
    total = serializers.IntegerField()
    answered = serializers.IntegerField()
    solved = serializers.IntegerField()
    points = serializers.FloatField()
    max_points = serializers.FloatField()
    score_percent = serializers.FloatField()
    answered_percent = serializers.FloatField()
    lessons = LessonProgressSerializer(many=True)


class CourseDetailSerializer(CourseSerializer):
    lessons = LessonSummarySerializer(many=True)
    progress = CourseProgressSerializer()


class FeedbackSerializer(serializers.Serializer[Any]):
    """The grade of one answer and what may be shown with it."""

    id = serializers.IntegerField(source="answer.pk")
    question = serializers.IntegerField(source="answer.question_id")
    variant = serializers.IntegerField(source="answer.variant_id", allow_null=True)
    response = serializers.JSONField(source="answer.response")
    choice_order = serializers.ListField(
        source="answer.choice_order",
        child=serializers.CharField(),
        help_text="the choice keys in the order the student was shown them",
    )
    created_at = serializers.DateTimeField(source="answer.created_at")
    attempt_number = serializers.IntegerField()
    verdict = serializers.ChoiceField(choices=["correct", "partial", "incorrect"])
    score = serializers.FloatField(help_text="0 to 1")
    feedback = serializers.CharField()
    details = serializers.JSONField(
        help_text="found / missing concepts and the like; the expected value once earned"
    )
    hints_html = serializers.ListField(
        child=serializers.CharField(),
        help_text=(
            "the question's hints revealed so far: one more after each attempt; "
            "they guide without giving the answer away"
        ),
    )
    explanation_html = serializers.CharField(
        allow_null=True, help_text="null until the question is solved or every attempt is used"
    )
    model_answer_earned = serializers.BooleanField()
    model_answer_html = serializers.CharField(
        allow_null=True, help_text="null until the question is solved or every attempt is used"
    )
    attempts_used = serializers.IntegerField()
    attempts_left = serializers.IntegerField()
    max_attempts = serializers.IntegerField()


class VariantSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    prompt_html = serializers.CharField()


class QuestionPublicSerializer(serializers.Serializer[Any]):
    """A question's public part and the student's standing on it (from QuestionBlockView)."""

    id = serializers.IntegerField(source="question.pk")
    key = serializers.CharField(source="question.key")
    kind = serializers.CharField(source="question.kind")
    lesson = serializers.IntegerField(source="question.lesson_id")
    prompt_html = serializers.CharField(
        help_text="for a parametrized question: the student's own variant's prompt"
    )
    public_config = serializers.JSONField(
        help_text=(
            "choice keys and texts (in this student's own shuffled order), unit, whether a "
            "text box exists; never the key"
        )
    )
    handout_section = serializers.CharField(source="question.handout_section")
    points = serializers.FloatField(source="question.points")
    max_attempts = serializers.IntegerField(source="question.max_attempts")
    attempts_used = serializers.IntegerField(source="status.attempts_used")
    attempts_left = serializers.IntegerField(source="status.attempts_left")
    best_score = serializers.FloatField(source="status.best_score")
    solved = serializers.BooleanField(source="status.solved")
    variant = VariantSerializer(allow_null=True)
    last_feedback = FeedbackSerializer(allow_null=True)


class BlockSerializer(serializers.Serializer[Any]):
    """A lesson block: ``type`` "html" with ``html``, or "question" with ``question``."""

    type = serializers.ChoiceField(choices=["html", "question"])
    html = serializers.SerializerMethodField()
    question = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_html(self, block: HtmlBlockView | QuestionBlockView) -> str | None:
        return block.html if isinstance(block, HtmlBlockView) else None

    @extend_schema_field(QuestionPublicSerializer(allow_null=True))
    def get_question(self, block: HtmlBlockView | QuestionBlockView) -> dict[str, Any] | None:
        if isinstance(block, QuestionBlockView):
            return dict(QuestionPublicSerializer(block).data)
        return None


class LessonDetailSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="lesson.pk")
    course = serializers.SlugField(source="lesson.course.slug")
    slug = serializers.SlugField(source="lesson.slug")
    title = serializers.CharField(source="lesson.title")
    order = serializers.IntegerField(source="lesson.order")
    summary = serializers.CharField(source="lesson.summary")
    blocks = BlockSerializer(many=True)
    progress = LessonProgressSerializer()
