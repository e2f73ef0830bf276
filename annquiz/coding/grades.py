"""A submission's grade, as a number the gradebook and the dashboards add up.

A judged submission is worth 1 when it passed and 0 when the network was trained and judged
and did not pass (failed or diverged); a submission still pending, or not graded because of a
service failure, has no grade (``None``): it counts neither for nor against the student.
"""

from __future__ import annotations

from annquiz.coding.models import Submission
from annquiz.coding.statuses import JUDGED_STATUSES, Status


def submission_score(submission: Submission) -> float | None:
    if submission.status == Status.PASSED:
        return 1.0
    if submission.status in JUDGED_STATUSES:
        return 0.0
    return None
