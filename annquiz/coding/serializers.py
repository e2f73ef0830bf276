"""API serializers of coding tasks: the submission input, and what is read back."""

from __future__ import annotations

import json
from typing import Any

from rest_framework import serializers

from annquiz.core.serializers import ClosedInputSerializer, FiniteJSONField

MAX_SPEC_JSON_CHARS = 50_000


class SubmissionInputSerializer(ClosedInputSerializer):
    """Exactly one of ``spec`` (a JSON spec in Keras vocabulary) or ``keras`` (a snippet); any
    other top-level field is an error."""

    spec = FiniteJSONField(
        required=False, help_text="The network as a JSON object (see docs/spec.md)."
    )
    keras = serializers.CharField(
        required=False,
        trim_whitespace=False,
        max_length=50_000,
        help_text="A Keras snippet like the handout's; parsed, never executed.",
    )

    def validate_spec(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise serializers.ValidationError("must be a JSON object describing the network")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        given = [name for name in ("spec", "keras") if name in attrs]
        if len(given) != 1:
            raise serializers.ValidationError(
                {"spec": ["send exactly one of 'spec' (a JSON object) or 'keras' (a snippet)"]}
            )
        return attrs

    def kind_and_text(self) -> tuple[str, str]:
        """``(kind, text)`` for submitting: the spec as canonical JSON text, or the snippet."""
        data = self.validated_data
        if "keras" in data:
            return "keras", data["keras"]
        text = json.dumps(data["spec"], indent=2, sort_keys=True)
        if len(text) > MAX_SPEC_JSON_CHARS:
            raise serializers.ValidationError(
                {"spec": [f"is {len(text):,} characters as JSON; at most {MAX_SPEC_JSON_CHARS:,}"]}
            )
        return "json", text


class TaskSummarySerializer(serializers.Serializer[Any]):
    slug = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField()
    backend = serializers.CharField()
    is_open = serializers.BooleanField()
    max_attempts = serializers.IntegerField()
    attempts_used = serializers.IntegerField()
    passed = serializers.BooleanField()
    locked = serializers.BooleanField(
        help_text="The task opens once the student has answered a lesson's checkpoint that "
        "its rules give away; until then it has no statement, rules or starter and takes no "
        "submissions (409)."
    )
    lock = serializers.JSONField(
        allow_null=True,
        help_text="While locked: the checkpoint's key, its lesson's title, the lesson page at "
        "the checkpoint and the reason in words; null when open.",
    )
    url = serializers.CharField()
    page_url = serializers.CharField()


class TaskDetailSerializer(TaskSummarySerializer):
    # Left out while the task is locked (``locked``).
    statement_html = serializers.CharField(required=False)
    dataset = serializers.JSONField(required=False)
    rules = serializers.JSONField(required=False)
    starter = serializers.JSONField(required=False)
    lesson_url = serializers.CharField(allow_null=True)
    submissions_url = serializers.CharField()
    validate_url = serializers.CharField(required=False)


class GradeSerializer(serializers.Serializer[Any]):
    score = serializers.FloatField(
        allow_null=True,
        help_text="The grade, 0 to 1: 1 passed, 0 failed or diverged, or the instructor's "
        "score; null while pending or when the service failed to grade it.",
    )
    set_by_instructor = serializers.BooleanField(
        help_text="An instructor overrode the automatic grade (``status`` stays the judge's)."
    )
    comment = serializers.CharField(allow_blank=True, help_text="The instructor's comment.")


class SubmissionSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    number = serializers.IntegerField(
        help_text="The student's 1st, 2nd, … submission to the task (not the global id)."
    )
    ordinal = serializers.CharField(help_text='``number`` as words use it: "1st", "2nd".')
    is_late = serializers.BooleanField(help_text="Made after the course's deadline of the task.")
    url = serializers.CharField()
    page_url = serializers.CharField()
    task = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    grade = GradeSerializer()
    finished = serializers.BooleanField()
    counts_as_attempt = serializers.BooleanField()
    message = serializers.CharField(allow_blank=True)
    queue_position = serializers.IntegerField(allow_null=True)
    progress = serializers.JSONField(allow_null=True)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    source_kind = serializers.CharField()
    source_text = serializers.CharField()
    architecture = serializers.JSONField()
    result = serializers.JSONField(
        allow_null=True,
        help_text="Once judged: verdict, summary, checks (figure, threshold, the figure in "
        "words with its unit and the direction that passes, explanation, "
        "handout section), diagnostics, per-seed curves with best epoch and overfitting onset.",
    )
