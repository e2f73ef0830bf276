"""Regrading a coding task's submissions after its checks or thresholds changed.

Two steps, so that judging again (which trains every network again, and is costly) never
changes a grade by itself:

1. ``regrade_run_start`` stores a run with one item per submission in the scope (every judged
   submission of the task in the offering, only the failed and diverged ones, or one
   student's) and queues each item on the "regrade" queue. The workers store each new verdict
   on its item only (``annquiz.coding.regrade_judging``): the run's items are the dry run,
   showing whose grade would change and how.
2. ``regrade_run_apply`` writes the proposed results to the submissions, each with a
   ``GradeHistory`` row keeping the earlier grade, in one transaction; applying again does
   nothing. A submission whose grade changed since the run judged it is left alone.

An instructor's override of a grade, if the course has one, is not a submission's status: a
regrade changes the judged status only, and the override keeps deciding the grade.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from annquiz.coding.errors import InvalidRegrade, RegradeConflict
from annquiz.coding.models import (
    CodingTask,
    GradeHistory,
    RegradeItem,
    RegradeItemStatus,
    RegradeRun,
    RegradeRunStatus,
    RegradeScope,
    Submission,
)
from annquiz.coding.queueing import regrade_item_enqueue
from annquiz.coding.selectors import task_definition
from annquiz.coding.statuses import JUDGED_STATUSES, Status
from annquiz.coding.versions import code_version, definition_hash
from annquiz.enrolment.models import Offering, Role

NOT_PASSED = (Status.FAILED, Status.DIVERGED)


def regrade_scope_submissions(
    *, task: CodingTask, offering: Offering, scope: str, student_id: int | None = None
) -> QuerySet[Submission]:
    """The submissions a regrade of ``scope`` judges again: judged ones only (a pending one
    is judged under the new rules anyway; a service failure has no grade to change)."""
    submissions = Submission.objects.filter(
        task_id=task.pk, offering_id=offering.pk, status__in=JUDGED_STATUSES
    )
    if scope == RegradeScope.FAILED:
        submissions = submissions.filter(status__in=NOT_PASSED)
    elif scope == RegradeScope.STUDENT:
        submissions = submissions.filter(student_id=student_id)
    return submissions.order_by("student_id", "number")


def _student_of(offering: Offering, username: str) -> AbstractBaseUser:
    username = username.strip()
    if not username:
        raise InvalidRegrade("name the student whose submissions to judge again", field="student")
    student = (
        get_user_model()
        .objects.filter(
            username=username,
            memberships__offering_id=offering.pk,
            memberships__role=Role.STUDENT,
        )
        .first()
    )
    if student is None:
        raise InvalidRegrade(f"no student {username!r} in this course", field="student")
    return student


def _enqueue_all(item_ids: Sequence[int]) -> None:
    for item_id in item_ids:
        regrade_item_enqueue(item_id=item_id)


def regrade_run_start(
    *,
    task: CodingTask,
    offering: Offering,
    scope: str,
    started_by: AbstractBaseUser,
    student_username: str = "",
) -> RegradeRun:
    """Store a regrade run of ``scope`` and queue its items on the regrade queue once the
    transaction commits. Changes no grade.

    Refusals, with nothing stored: ``InvalidRegrade`` (400: an unknown scope, a student not
    in the course, no judged submission in the scope) and ``RegradeConflict`` (409: a run of
    the task in this offering is still judging).
    """
    if scope not in RegradeScope.values:
        raise InvalidRegrade(f"must be one of {', '.join(RegradeScope.values)}", field="scope")
    student = _student_of(offering, student_username) if scope == RegradeScope.STUDENT else None
    with transaction.atomic():
        # One run judging per task at a time: concurrent starts queue up on the task's row.
        task = CodingTask.objects.select_for_update().get(pk=task.pk)
        if RegradeRun.objects.filter(
            task_id=task.pk, offering_id=offering.pk, status=RegradeRunStatus.JUDGING
        ).exists():
            raise RegradeConflict(
                "a regrade of this task is still judging: wait until it is ready", field="scope"
            )
        submissions = list(
            regrade_scope_submissions(
                task=task,
                offering=offering,
                scope=scope,
                student_id=None if student is None else student.pk,
            ).values_list("pk", "status")
        )
        if not submissions:
            raise InvalidRegrade("no judged submission in this scope", field="scope")
        run = RegradeRun.objects.create(
            task=task,
            offering=offering,
            scope=scope,
            student_id=None if student is None else student.pk,
            started_by_id=started_by.pk,
            code_version=code_version(),
            definition_hash=definition_hash(task.definition),
            seeds=list(task_definition(task).seeds),
        )
        items = RegradeItem.objects.bulk_create(
            RegradeItem(run=run, submission_id=pk, old_status=status) for pk, status in submissions
        )
        item_ids = [item.pk for item in items]
        transaction.on_commit(lambda: _enqueue_all(item_ids), robust=True)
    return run


@dataclass(frozen=True)
class RegradeApplied:
    applied: int  # submissions whose grade (or result) was replaced
    stale: int  # left alone: their grade changed after the run judged them
    already: bool  # the run had been applied before: nothing was written now


def regrade_run_apply(*, run_id: int, applied_by: AbstractBaseUser) -> RegradeApplied:
    """Write the run's proposed results to its submissions, keeping each earlier grade in a
    ``GradeHistory`` row, all in one transaction; a run applied before is left as it is.

    Items not judged again keep their grade, as do items whose result is the same. A
    submission whose grade changed after the run started (another run applied meanwhile) is
    stale and left alone. ``RegradeConflict`` (409) while the run is still judging.
    """
    with transaction.atomic():
        run = RegradeRun.objects.select_for_update().get(pk=run_id)
        if run.status == RegradeRunStatus.APPLIED:
            return RegradeApplied(run.applied_count, run.stale_count, already=True)
        if run.status != RegradeRunStatus.READY:
            raise RegradeConflict(
                "this regrade is still judging: apply it once every submission is judged again",
                field="run",
            )
        items = list(run.items.filter(status=RegradeItemStatus.DONE))
        ids = [item.submission_id for item in items]
        submissions = Submission.objects.select_for_update().in_bulk(ids)
        regraded_since = set(
            GradeHistory.objects.filter(
                submission_id__in=ids, changed_at__gte=run.created_at
            ).values_list("submission_id", flat=True)
        )
        now = timezone.now()
        history: list[GradeHistory] = []
        changed: list[Submission] = []
        stale = 0
        for item in items:
            submission = submissions[item.submission_id]
            if submission.status != item.old_status or submission.pk in regraded_since:
                stale += 1
                continue
            if submission.status == item.new_status and submission.result == item.new_result:
                continue
            history.append(
                GradeHistory(
                    submission=submission,
                    run=run,
                    old_status=submission.status,
                    old_message=submission.message,
                    old_result=submission.result,
                    new_status=item.new_status,
                    code_version=run.code_version,
                    definition_hash=run.definition_hash,
                    seeds=run.seeds,
                    changed_at=now,
                )
            )
            submission.status = item.new_status
            submission.result = item.new_result
            submission.message = item.new_message
            changed.append(submission)
        GradeHistory.objects.bulk_create(history)
        Submission.objects.bulk_update(changed, ["status", "result", "message"])
        run.status = RegradeRunStatus.APPLIED
        run.applied_at = now
        run.applied_by_id = applied_by.pk
        run.applied_count = len(changed)
        run.stale_count = stale
        run.save(
            update_fields=["status", "applied_at", "applied_by", "applied_count", "stale_count"]
        )
    return RegradeApplied(len(changed), stale, already=False)
