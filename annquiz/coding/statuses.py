"""The life of a submission: its statuses and which of them count as an attempt."""

from __future__ import annotations

from django.db import models


class Status(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    DIVERGED = "diverged", "Diverged"
    TIMED_OUT = "timed_out", "Timed out"
    ERROR = "error", "Not graded (service error)"


PENDING_STATUSES = (Status.QUEUED, Status.RUNNING)
# The student's network was trained and judged: these use up an attempt.
JUDGED_STATUSES = (Status.PASSED, Status.FAILED, Status.DIVERGED)
# Failures of the service (a lost worker, an infrastructure error, a run cut off by the time
# limit under load): never counted against the student.
SERVICE_FAILURE_STATUSES = (Status.TIMED_OUT, Status.ERROR)
FINISHED_STATUSES = JUDGED_STATUSES + SERVICE_FAILURE_STATUSES
