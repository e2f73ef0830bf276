"""Writes of the gradebook: an offering's grading policy."""

from __future__ import annotations

import math
from collections.abc import Mapping

from django.db import transaction

from annquiz.enrolment.models import Offering
from annquiz.gradebook.errors import PolicyInvalid
from annquiz.gradebook.models import AttemptRule, GradingPolicy
from annquiz.gradebook.selectors import content_of

MAX_WEIGHT = 1000.0


def _weights(given: Mapping[str, float], known: list[str], prefix: str) -> dict[str, float]:
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise PolicyInvalid(f"this course has no {unknown[0]!r}", field=f"{prefix}{unknown[0]}")
    for slug, weight in given.items():
        if not math.isfinite(weight) or not 0 <= weight <= MAX_WEIGHT:
            raise PolicyInvalid(
                f"a weight is a number from 0 to {MAX_WEIGHT:g}", field=f"{prefix}{slug}"
            )
    return {slug: float(given[slug]) for slug in known if slug in given}


def grading_policy_set(
    *,
    offering: Offering,
    attempt: str,
    late_factor: float,
    questions_percent: int | None,
    lesson_weights: Mapping[str, float],
    task_weights: Mapping[str, float],
) -> GradingPolicy:
    """Store the offering's grading policy (weights keyed by lesson and task slug; a slug
    left out weighs 1). All or nothing: ``PolicyInvalid`` (400) names the first bad field."""
    if attempt not in AttemptRule.values:
        raise PolicyInvalid(f"must be one of {', '.join(AttemptRule.values)}", field="attempt")
    if not math.isfinite(late_factor) or not 0 <= late_factor <= 1:
        raise PolicyInvalid("must be a number from 0 to 1", field="late_factor")
    if questions_percent is not None and not 0 <= questions_percent <= 100:
        raise PolicyInvalid("must be a whole number from 0 to 100", field="questions_percent")
    lessons, tasks = content_of(offering)
    lessons_kept = _weights(lesson_weights, [lesson.slug for lesson, _ in lessons], "lesson-")
    tasks_kept = _weights(task_weights, [task.slug for task in tasks], "task-")
    question_weight = sum(
        lessons_kept.get(lesson.slug, 1.0) * q.points for lesson, qs in lessons for q in qs
    )
    task_weight = sum(tasks_kept.get(task.slug, 1.0) for task in tasks)
    if question_weight <= 0 and task_weight <= 0:
        raise PolicyInvalid("give at least one lesson or task a weight above 0", field=None)
    with transaction.atomic():
        policy, _ = GradingPolicy.objects.select_for_update().get_or_create(offering=offering)
        policy.attempt = attempt
        policy.late_factor = late_factor
        policy.questions_percent = questions_percent
        policy.lesson_weights = lessons_kept
        policy.task_weights = tasks_kept
        policy.save(
            update_fields=[
                "attempt",
                "late_factor",
                "questions_percent",
                "lesson_weights",
                "task_weights",
                "updated_at",
            ]
        )
    return policy
