"""A submission's grade, as a number the gradebook and the dashboards add up.

A judged submission is worth 1 when it passed and 0 when the network was trained and judged
and did not pass (failed or diverged); a submission still pending, or not graded because of a
service failure, has no grade (``None``): it counts neither for nor against the student.

An instructor's override (``review.SubmissionOverride``, reached as
``submission.grade_override``) wins over all of that. Callers grading many submissions read
them with ``select_related("grade_override")``, so that this costs no query per submission.
"""

from __future__ import annotations

from annquiz.coding.models import Submission
from annquiz.coding.statuses import JUDGED_STATUSES, Status


def automatic_score(submission: Submission) -> float | None:
    """The grade from the submission's status alone, ignoring any override."""
    if submission.status == Status.PASSED:
        return 1.0
    if submission.status in JUDGED_STATUSES:
        return 0.0
    return None


def submission_score(submission: Submission) -> float | None:
    # A missing one-to-one row raises an AttributeError subclass: getattr gives None then.
    override = getattr(submission, "grade_override", None)
    if override is not None:
        return float(override.score)
    return automatic_score(submission)
