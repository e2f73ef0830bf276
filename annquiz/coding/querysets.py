"""Queries over many submissions: attempts used, pending work."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import models

from annquiz.coding.statuses import PENDING_STATUSES, SERVICE_FAILURE_STATUSES

if TYPE_CHECKING:
    from annquiz.coding.models import Submission  # noqa: F401 (the QuerySet type argument)


class SubmissionQuerySet(models.QuerySet["Submission"]):
    def counting_as_attempts(self) -> SubmissionQuerySet:
        """Submissions that use up an attempt: all but the service's own failures."""
        return self.exclude(status__in=SERVICE_FAILURE_STATUSES)

    def pending(self) -> SubmissionQuerySet:
        return self.filter(status__in=PENDING_STATUSES)

    def created_since(self, moment: datetime) -> SubmissionQuerySet:
        return self.filter(created_at__gte=moment)
