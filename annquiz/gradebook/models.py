"""How an offering's gradebook scores its students: one ``GradingPolicy`` per offering, edited
by its instructors on ``/courses/<slug>/dashboard/gradebook/policy/``. An offering without one
is scored by the defaults (``GradingPolicy.default_for``). See docs/dashboards.md."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from annquiz.enrolment.models import Offering


class AttemptRule(models.TextChoices):
    FIRST = "first", "First attempt"
    LAST = "last", "Last attempt"
    BEST = "best", "Best attempt"


class GradingPolicy(models.Model):
    offering = models.OneToOneField(
        Offering, on_delete=models.CASCADE, related_name="grading_policy"
    )
    # Which graded attempt of a question (answers) and of a task (submissions) counts.
    attempt = models.CharField(max_length=8, choices=AttemptRule.choices, default=AttemptRule.BEST)
    # What late work is worth: its score times this factor (1: counted in full and only
    # marked; 0: not counted).
    late_factor = models.FloatField(
        default=1.0, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    # The questions' share of the total in percent (the tasks have the rest); empty: every
    # item counts by its weight alone.
    questions_percent = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    # {lesson slug: weight of each of its questions}, {task slug: weight}; 1 when absent.
    lesson_weights = models.JSONField(default=dict, blank=True)
    task_weights = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "grading policies"

    def __str__(self) -> str:
        return f"grading policy of {self.offering_id}"

    @classmethod
    def default_for(cls, offering: Offering) -> GradingPolicy:
        """The policy of an offering whose instructors set none (not saved)."""
        return cls(offering=offering)

    def lesson_weight(self, slug: str) -> float:
        return float(self.lesson_weights.get(slug, 1.0))

    def task_weight(self, slug: str) -> float:
        return float(self.task_weights.get(slug, 1.0))
