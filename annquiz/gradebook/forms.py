"""The grading policy form: the policy's fields and one weight per lesson and per task."""

from __future__ import annotations

from typing import Any

from django import forms

from annquiz.coding.models import CodingTask
from annquiz.courses.models import Lesson
from annquiz.gradebook.models import AttemptRule, GradingPolicy
from annquiz.gradebook.services import MAX_WEIGHT


def _weight_field(label: str) -> forms.FloatField:
    return forms.FloatField(
        label=label, min_value=0, max_value=MAX_WEIGHT, widget=forms.NumberInput({"step": "any"})
    )


class PolicyForm(forms.Form):
    attempt = forms.ChoiceField(
        label="Attempt that counts",
        choices=AttemptRule.choices,
        help_text="For questions and coding tasks alike; ungraded submissions are skipped.",
    )
    late_factor = forms.FloatField(
        label="Late work counts with the factor",
        min_value=0,
        max_value=1,
        widget=forms.NumberInput({"step": "any"}),
        help_text="1: counted in full and only marked late; 0.5: half; 0: not counted.",
    )
    questions_percent = forms.IntegerField(
        label="Questions' share of the total (percent)",
        min_value=0,
        max_value=100,
        required=False,
        help_text="The tasks have the rest. Empty: every item counts by its weight alone.",
    )

    def __init__(
        self,
        *args: Any,
        policy: GradingPolicy,
        lessons: list[Lesson],
        tasks: list[CodingTask],
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault(
            "initial",
            {
                "attempt": policy.attempt,
                "late_factor": policy.late_factor,
                "questions_percent": policy.questions_percent,
                **{f"lesson-{x.slug}": policy.lesson_weight(x.slug) for x in lessons},
                **{f"task-{t.slug}": policy.task_weight(t.slug) for t in tasks},
            },
        )
        super().__init__(*args, **kwargs)
        for lesson in lessons:
            self.fields[f"lesson-{lesson.slug}"] = _weight_field(lesson.title)
        for task in tasks:
            self.fields[f"task-{task.slug}"] = _weight_field(task.title)
        self.lesson_slugs = [x.slug for x in lessons]
        self.task_slugs = [t.slug for t in tasks]

    def lesson_fields(self) -> list[forms.BoundField]:
        return [self[f"lesson-{slug}"] for slug in self.lesson_slugs]

    def task_fields(self) -> list[forms.BoundField]:
        return [self[f"task-{slug}"] for slug in self.task_slugs]

    def policy_values(self) -> dict[str, Any]:
        """The cleaned data as ``services.grading_policy_set`` takes it."""
        data = self.cleaned_data
        return {
            "attempt": data["attempt"],
            "late_factor": data["late_factor"],
            "questions_percent": data["questions_percent"],
            "lesson_weights": {s: data[f"lesson-{s}"] for s in self.lesson_slugs},
            "task_weights": {s: data[f"task-{s}"] for s in self.task_slugs},
        }
