"""Reads of regrades: a task's runs in an offering, one run's progress and proposed changes,
and a submission's grade history. The offering and task are fetched (and the reader's right
to them checked) by the caller, e.g. ``annquiz.dashboards.selectors.offering_get_for_teacher``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q
from django.http import Http404

from annquiz.coding.models import (
    CodingTask,
    GradeHistory,
    RegradeItem,
    RegradeItemStatus,
    RegradeRun,
    Submission,
)
from annquiz.enrolment import selectors as enrolment
from annquiz.enrolment.models import Offering

FINISHED = (RegradeItemStatus.DONE, RegradeItemStatus.ERROR)


def regrade_run_get(*, offering: Offering, task: CodingTask, run_id: int) -> RegradeRun:
    """The run ``run_id`` of ``task`` in ``offering``; else the 404 of a missing one."""
    run = (
        RegradeRun.objects.select_related("student", "started_by", "applied_by")
        .filter(pk=run_id, task_id=task.pk, offering_id=offering.pk)
        .first()
    )
    if run is None:
        raise Http404(f"no regrade {run_id}")
    return run


@dataclass(frozen=True)
class RunSummary:
    run: RegradeRun
    total: int
    finished: int


def regrade_runs_of(*, offering: Offering, task: CodingTask) -> list[RunSummary]:
    """The task's regrade runs in the offering, newest first, with their progress."""
    runs = (
        RegradeRun.objects.filter(task_id=task.pk, offering_id=offering.pk)
        .select_related("student", "started_by")
        .annotate(
            item_total=Count("items"),
            item_finished=Count("items", filter=Q(items__status__in=FINISHED)),
        )
    )
    return [RunSummary(run, run.item_total, run.item_finished) for run in runs]


@dataclass(frozen=True)
class ProposedChange:
    item_id: int
    submission_id: int
    student: str
    number: int
    old_status: str
    new_status: str
    item_status: str
    message: str

    @property
    def grade_changes(self) -> bool:
        return self.item_status == RegradeItemStatus.DONE and self.new_status != self.old_status


@dataclass(frozen=True)
class RunReport:
    run: RegradeRun
    total: int
    finished: int
    not_judged: int
    rows: list[ProposedChange]
    # (old status, new status) → submissions, for the items judged again.
    transitions: list[tuple[str, str, int]]

    @property
    def changes(self) -> list[ProposedChange]:
        return [row for row in self.rows if row.grade_changes]

    @property
    def percent(self) -> int:
        return round(100 * self.finished / self.total) if self.total else 100


def _name(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


def regrade_run_report(*, run: RegradeRun) -> RunReport:
    """The run's progress (done/total) and, per submission, its grade before and after."""
    items = (
        RegradeItem.objects.filter(run_id=run.pk)
        .order_by("submission__student__username", "submission__number")
        .values_list(
            "pk",
            "submission_id",
            "submission__student__first_name",
            "submission__student__last_name",
            "submission__student__username",
            "submission__number",
            "old_status",
            "new_status",
            "status",
            "new_message",
        )
    )
    rows = [
        ProposedChange(pk, sid, _name(first, last, user), number, old, new, status, message)
        for pk, sid, first, last, user, number, old, new, status, message in items
    ]
    finished = sum(row.item_status in FINISHED for row in rows)
    not_judged = sum(row.item_status == RegradeItemStatus.ERROR for row in rows)
    counts = Counter(
        (row.old_status, row.new_status)
        for row in rows
        if row.item_status == RegradeItemStatus.DONE
    )
    transitions = [(old, new, n) for (old, new), n in sorted(counts.items())]
    return RunReport(run, len(rows), finished, not_judged, rows, transitions)


def grade_history_for_user(*, user: Any, submission: Submission) -> list[GradeHistory]:
    """The submission's earlier grades, newest first, for an instructor of its course or
    staff; nothing for anyone else (its student sees the current grade and when a regrade
    changed it: ``regraded_at``)."""
    if not enrolment.may_teach(user=user, offering_id=submission.offering_id):
        return []
    return list(
        GradeHistory.objects.filter(submission_id=submission.pk)
        .select_related("run")
        .order_by("-changed_at")
    )


def regraded_at(*, submission: Submission) -> datetime | None:
    """When a regrade last changed the submission's grade; None if never."""
    return (
        GradeHistory.objects.filter(submission_id=submission.pk)
        .order_by("-changed_at")
        .values_list("changed_at", flat=True)
        .first()
    )
