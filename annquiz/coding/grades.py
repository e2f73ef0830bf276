"""A submission's grade, as a number the gradebook and the dashboards add up.

A judged submission is worth 1 when it passed and 0 when the network was trained and judged
and did not pass (failed or diverged); a submission still pending, or not graded because of a
service failure, has no grade (``None``): it counts neither for nor against the student.

An instructor's override (``review.SubmissionOverride``, reached as
``submission.grade_override``) wins over all of that. Callers grading many submissions read
them with ``select_related("grade_override")``, so that this costs no query per submission.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from annquiz.coding.models import Submission
from annquiz.coding.statuses import JUDGED_STATUSES, Status
from annquiz.courses.models import Verdict

# What to ``select_related`` with submissions whose grade is shown, override and comment.
GRADE_OVERRIDE = ("grade_override", "grade_override__change")


def automatic_score(submission: Submission) -> float | None:
    """The grade from the submission's status alone, ignoring any override."""
    return score_of(status=submission.status, override_score=None)


def score_of(*, status: str, override_score: float | None) -> float | None:
    """The grade of a submission with ``status`` and an override's score (None: none), for
    callers reading plain values rather than submissions."""
    if override_score is not None:
        return float(override_score)
    if status == Status.PASSED:
        return 1.0
    if status in JUDGED_STATUSES:
        return 0.0
    return None


def grade_override_of(submission: Submission) -> Any | None:
    """The instructor's override of the submission's grade (``review.SubmissionOverride``:
    ``score``, ``verdict``, and ``change`` with its comment), or None."""
    # A missing one-to-one row raises an AttributeError subclass: getattr gives None then.
    return getattr(submission, "grade_override", None)


def submission_score(submission: Submission) -> float | None:
    override = grade_override_of(submission)
    if override is not None:
        return float(override.score)
    return automatic_score(submission)


def passed_filter(prefix: str = "") -> Q:
    """The submissions that count as passed, as a filter (``prefix``: the path to the
    submission, such as ``"submissions__"``): passed by the judge and not overridden, or
    overridden as correct."""
    return Q(**{f"{prefix}status": Status.PASSED, f"{prefix}grade_override__isnull": True}) | Q(
        **{f"{prefix}grade_override__verdict": Verdict.CORRECT}
    )


def status_filter(status: Status, prefix: str = "") -> Q:
    """The submissions whose grade is ``status``: passed as ``passed_filter`` says; failed
    when judged so and not overridden, or overridden as anything but correct; any other
    status only while not overridden."""
    if status == Status.PASSED:
        return passed_filter(prefix)
    judged = Q(**{f"{prefix}status": status, f"{prefix}grade_override__isnull": True})
    if status == Status.FAILED:
        overridden = Q(**{f"{prefix}grade_override__isnull": False}) & ~Q(
            **{f"{prefix}grade_override__verdict": Verdict.CORRECT}
        )
        return judged | overridden
    return judged
