"""Queries over many submissions: attempts used, the queue, stuck work."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import models

from annquiz.coding.statuses import PENDING_STATUSES, SERVICE_FAILURE_STATUSES, Status

if TYPE_CHECKING:
    from annquiz.coding.models import Submission


class SubmissionQuerySet(models.QuerySet["Submission"]):
    def counting_as_attempts(self) -> SubmissionQuerySet:
        """Submissions that use up an attempt: all but the service's own failures."""
        return self.exclude(status__in=SERVICE_FAILURE_STATUSES)

    def pending(self) -> SubmissionQuerySet:
        return self.filter(status__in=PENDING_STATUSES)

    def created_since(self, moment: datetime) -> SubmissionQuerySet:
        return self.filter(created_at__gte=moment)

    def queued_ahead_of(self, submission: Submission) -> SubmissionQuerySet:
        """Queued submissions on the same queue that a worker takes before ``submission``."""
        return self.filter(
            status=Status.QUEUED, queue=submission.queue, created_at__lt=submission.created_at
        )
