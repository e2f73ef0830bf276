"""Regrading a task's submissions: the scope, the dry run that changes no grade, applying
with history, once; and the claim protocol of the regrade worker, called in this process
(the real worker on the regrade queue is in test_regrade_worker.py)."""

from __future__ import annotations

import copy
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from annquiz.coding import regrade_judging, regrade_selectors
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
from annquiz.coding.querysets import SubmissionQuerySet
from annquiz.coding.regrading import (
    regrade_run_apply,
    regrade_run_start,
    regrade_scope_submissions,
)
from annquiz.coding.statuses import Status
from annquiz.coding.versions import code_version, definition_hash
from annquiz.enrolment.models import Offering
from tests.annquiz.coding.conftest import store_task
from tests.annquiz.coding.regrade_helpers import judged_run, judged_submission
from tests.annquiz.courses.factories import CourseFactory, default_offering
from tests.factories import InstructorFactory, StudentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def task() -> CodingTask:
    return store_task("handout-keras")


@pytest.fixture
def offering(task: CodingTask) -> Offering:
    assert task.course is not None
    return default_offering(task.course)


@pytest.fixture
def instructor() -> User:
    return InstructorFactory.create()


def _raise_threshold(task: CodingTask, threshold: float) -> None:
    definition = copy.deepcopy(task.definition)
    definition["checks"][0]["params"]["threshold"] = threshold
    CodingTask.objects.filter(pk=task.pk).update(definition=definition)
    task.refresh_from_db()


def _grades(*submissions: Submission) -> list[tuple[str, Any, str]]:
    fresh = Submission.objects.in_bulk([s.pk for s in submissions])
    return [(fresh[s.pk].status, fresh[s.pk].result, fresh[s.pk].message) for s in submissions]


def test_the_scope_is_the_judged_submissions_of_the_task_in_the_offering(
    task: CodingTask, offering: Offering
) -> None:
    alice, bob = StudentFactory.create(), StudentFactory.create()
    passed = judged_submission(task, alice, offering, status=Status.PASSED)
    failed = judged_submission(task, alice, offering, status=Status.FAILED, number=2)
    diverged = judged_submission(task, bob, offering, status=Status.DIVERGED)
    judged_submission(task, bob, offering, status=Status.QUEUED, number=2)
    judged_submission(task, bob, offering, status=Status.ERROR, number=3)
    elsewhere = default_offering(CourseFactory.create(slug="elsewhere"))
    judged_submission(task, StudentFactory.create(), elsewhere, status=Status.FAILED)

    def scope(name: str, student: User | None = None) -> set[int]:
        chosen = regrade_scope_submissions(
            task=task,
            offering=offering,
            scope=name,
            student_id=None if student is None else student.pk,
        )
        return set(chosen.values_list("pk", flat=True))

    assert scope(RegradeScope.ALL) == {passed.pk, failed.pk, diverged.pk}
    assert scope(RegradeScope.FAILED) == {failed.pk, diverged.pk}
    assert scope(RegradeScope.STUDENT, alice) == {passed.pk, failed.pk}


def test_starting_stores_a_run_with_one_item_per_submission_and_changes_no_grade(
    task: CodingTask, offering: Offering, instructor: User
) -> None:
    student = StudentFactory.create()
    first = judged_submission(task, student, offering, status=Status.PASSED)
    second = judged_submission(task, student, offering, status=Status.FAILED, number=2)
    before = _grades(first, second)

    run = regrade_run_start(
        task=task, offering=offering, scope=RegradeScope.ALL, started_by=instructor
    )

    assert run.status == RegradeRunStatus.JUDGING
    assert run.code_version == code_version()
    assert run.definition_hash == definition_hash(task.definition)
    assert run.seeds == [0, 1, 2]
    items = {item.submission_id: item for item in run.items.all()}
    assert {pk: item.old_status for pk, item in items.items()} == {
        first.pk: Status.PASSED,
        second.pk: Status.FAILED,
    }
    assert {item.status for item in items.values()} == {RegradeItemStatus.QUEUED}
    assert _grades(first, second) == before


@pytest.mark.parametrize(
    ("scope", "student", "field"),
    [
        ("everything", "", "scope"),
        (RegradeScope.STUDENT, "", "student"),
        (RegradeScope.STUDENT, "nobody-here", "student"),
        (RegradeScope.FAILED, "", "scope"),  # no failed submission to judge again
    ],
)
def test_a_bad_regrade_request_is_refused_naming_the_field_and_stores_nothing(
    task: CodingTask, offering: Offering, instructor: User, scope: str, student: str, field: str
) -> None:
    judged_submission(task, StudentFactory.create(), offering, status=Status.PASSED)
    with pytest.raises(InvalidRegrade) as refused:
        regrade_run_start(
            task=task,
            offering=offering,
            scope=scope,
            student_username=student,
            started_by=instructor,
        )
    assert refused.value.status_code == 400
    assert refused.value.field == field
    assert not RegradeRun.objects.exists()


def test_a_second_run_while_one_is_judging_is_a_conflict(
    task: CodingTask, offering: Offering, instructor: User
) -> None:
    judged_submission(task, StudentFactory.create(), offering, status=Status.PASSED)
    regrade_run_start(task=task, offering=offering, scope=RegradeScope.ALL, started_by=instructor)
    with pytest.raises(RegradeConflict):
        regrade_run_start(
            task=task, offering=offering, scope=RegradeScope.ALL, started_by=instructor
        )
    assert RegradeRun.objects.count() == 1


def test_the_dry_run_judges_again_proposes_the_changes_and_changes_no_grade(
    task: CodingTask, offering: Offering, instructor: User
) -> None:
    # The reference passes at 0.72; stored as passed, it fails once the threshold is 0.99.
    student = StudentFactory.create()
    submission = judged_submission(task, student, offering, status=Status.PASSED)
    before = _grades(submission)
    _raise_threshold(task, 0.99)
    run = regrade_run_start(
        task=task, offering=offering, scope=RegradeScope.ALL, started_by=instructor
    )
    item = run.items.get()

    outcome = regrade_judging.regrade_item_judge(item_id=item.pk)

    assert outcome.status == RegradeItemStatus.DONE
    item.refresh_from_db()
    assert (item.old_status, item.new_status) == (Status.PASSED, Status.FAILED)
    assert item.new_result is not None and item.new_result["verdict"] == Status.FAILED
    run.refresh_from_db()
    assert run.status == RegradeRunStatus.READY
    report = regrade_selectors.regrade_run_report(run=run)
    assert (report.finished, report.total) == (1, 1)
    assert [row.submission_id for row in report.changes] == [submission.pk]
    assert report.transitions == [(Status.PASSED, Status.FAILED, 1)]
    assert _grades(submission) == before
    assert not GradeHistory.objects.exists()
    # A second delivery of the same message judges nothing again.
    assert regrade_judging.regrade_item_judge(item_id=item.pk).status is None


def test_applying_writes_the_new_grades_and_their_history_at_once(
    task: CodingTask, offering: Offering, instructor: User
) -> None:
    alice, bob = StudentFactory.create(), StudentFactory.create()
    to_fail = judged_submission(task, alice, offering, status=Status.PASSED)
    to_pass = judged_submission(task, bob, offering, status=Status.FAILED)
    unchanged = judged_submission(task, bob, offering, status=Status.PASSED, number=2)
    unchanged.result = {"verdict": "passed", "summary": "now passed"}
    unchanged.message = "now passed"
    unchanged.save(update_fields=["result", "message"])
    run = judged_run(
        task,
        offering,
        {to_fail: Status.FAILED, to_pass: Status.PASSED, unchanged: Status.PASSED},
    )

    applied = regrade_run_apply(run_id=run.pk, applied_by=instructor)

    assert (applied.applied, applied.stale, applied.already) == (2, 0, False)
    assert _grades(to_fail, to_pass) == [
        (Status.FAILED, {"verdict": "failed", "summary": "now failed"}, "now failed"),
        (Status.PASSED, {"verdict": "passed", "summary": "now passed"}, "now passed"),
    ]
    history = {entry.submission_id: entry for entry in GradeHistory.objects.all()}
    assert set(history) == {to_fail.pk, to_pass.pk}
    entry = history[to_fail.pk]
    assert (entry.old_status, entry.new_status) == (Status.PASSED, Status.FAILED)
    assert entry.old_result == {"verdict": "passed", "summary": "stored as passed"}
    assert entry.old_message == "stored as passed"
    assert (entry.run_id, entry.code_version, entry.seeds) == (run.pk, "annquiz test", [0, 1, 2])
    assert entry.definition_hash == run.definition_hash
    run.refresh_from_db()
    assert run.status == RegradeRunStatus.APPLIED
    assert (run.applied_count, run.applied_by_id) == (2, instructor.pk)
    assert regrade_selectors.regraded_at(submission=to_fail) == entry.changed_at
    assert regrade_selectors.regraded_at(submission=unchanged) is None


def test_applying_again_writes_nothing_more(
    task: CodingTask, offering: Offering, instructor: User
) -> None:
    submission = judged_submission(task, StudentFactory.create(), offering, status=Status.PASSED)
    run = judged_run(task, offering, {submission: Status.FAILED})
    regrade_run_apply(run_id=run.pk, applied_by=instructor)

    again = regrade_run_apply(run_id=run.pk, applied_by=instructor)

    assert (again.applied, again.already) == (1, True)
    assert GradeHistory.objects.count() == 1
    assert _grades(submission)[0][0] == Status.FAILED


def test_a_run_still_judging_cannot_be_applied(
    task: CodingTask, offering: Offering, instructor: User
) -> None:
    submission = judged_submission(task, StudentFactory.create(), offering, status=Status.PASSED)
    run = judged_run(task, offering, {submission: Status.FAILED})
    RegradeRun.objects.filter(pk=run.pk).update(status=RegradeRunStatus.JUDGING)
    with pytest.raises(RegradeConflict):
        regrade_run_apply(run_id=run.pk, applied_by=instructor)
    assert _grades(submission)[0][0] == Status.PASSED
    assert not GradeHistory.objects.exists()


def test_a_grade_changed_by_a_later_applied_run_is_left_alone(
    task: CodingTask, offering: Offering, instructor: User
) -> None:
    submission = judged_submission(task, StudentFactory.create(), offering, status=Status.PASSED)
    older = judged_run(task, offering, {submission: Status.FAILED})
    newer = judged_run(task, offering, {submission: Status.PASSED})
    newer_result = regrade_run_apply(run_id=newer.pk, applied_by=instructor)
    assert newer_result.applied == 1  # same status, new result: replaced

    applied = regrade_run_apply(run_id=older.pk, applied_by=instructor)

    assert (applied.applied, applied.stale) == (0, 1)
    assert _grades(submission)[0][0] == Status.PASSED
    assert GradeHistory.objects.count() == 1


def test_items_not_judged_again_keep_their_grade(
    task: CodingTask, offering: Offering, instructor: User
) -> None:
    submission = judged_submission(task, StudentFactory.create(), offering, status=Status.PASSED)
    run = judged_run(task, offering, {submission: Status.FAILED})
    RegradeItem.objects.filter(run=run).update(status=RegradeItemStatus.ERROR)
    assert regrade_run_apply(run_id=run.pk, applied_by=instructor).applied == 0
    assert _grades(submission)[0][0] == Status.PASSED


def test_an_item_is_not_judged_when_the_task_changed_during_the_run(
    task: CodingTask, offering: Offering, instructor: User
) -> None:
    judged_submission(task, StudentFactory.create(), offering, status=Status.PASSED)
    run = regrade_run_start(
        task=task, offering=offering, scope=RegradeScope.ALL, started_by=instructor
    )
    _raise_threshold(task, 0.5)
    item = run.items.get()

    assert regrade_judging.regrade_item_judge(item_id=item.pk).status == RegradeItemStatus.ERROR

    item.refresh_from_db()
    assert "changed during this run" in item.new_message
    run.refresh_from_db()
    assert run.status == RegradeRunStatus.READY


def _running(item: RegradeItem, **fields: Any) -> None:
    RegradeItem.objects.filter(pk=item.pk).update(
        status=RegradeItemStatus.RUNNING,
        claim_token=uuid.uuid4(),
        worker_attempts=1,
        **fields,
    )


def test_a_live_claim_is_left_alone_and_looked_at_again_when_its_lease_ends(
    task: CodingTask, offering: Offering, instructor: User
) -> None:
    submission = judged_submission(task, StudentFactory.create(), offering, status=Status.PASSED)
    run = judged_run(task, offering, {submission: Status.FAILED})
    item = run.items.get()
    _running(item, claimed_by="elsewhere:1", heartbeat_at=timezone.now())

    outcome = regrade_judging.regrade_item_judge(item_id=item.pk)

    assert outcome.status is None and outcome.retry_in is not None and outcome.retry_in > 0
    item.refresh_from_db()
    assert item.status == RegradeItemStatus.RUNNING


def test_an_item_that_keeps_killing_its_worker_ends_not_judged_and_finishes_the_run(
    task: CodingTask, offering: Offering, instructor: User, settings: Any
) -> None:
    submission = judged_submission(task, StudentFactory.create(), offering, status=Status.PASSED)
    run = judged_run(task, offering, {submission: Status.FAILED}, status=RegradeRunStatus.JUDGING)
    item = run.items.get()
    stale = timezone.now() - timedelta(seconds=settings.ANNQUIZ_GRADE_LEASE_SECONDS + 5)
    _running(item, claimed_by="elsewhere:1", heartbeat_at=stale)
    RegradeItem.objects.filter(pk=item.pk).update(
        worker_attempts=settings.ANNQUIZ_GRADE_MAX_WORKER_ATTEMPTS
    )

    report = regrade_judging.regrade_items_sweep()

    assert report.given_up == [item.pk]
    item.refresh_from_db()
    assert item.status == RegradeItemStatus.ERROR
    run.refresh_from_db()
    assert run.status == RegradeRunStatus.READY


def test_an_apply_that_fails_midway_writes_neither_grades_nor_history(
    task: CodingTask, offering: Offering, instructor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    submission = judged_submission(task, StudentFactory.create(), offering, status=Status.PASSED)
    run = judged_run(task, offering, {submission: Status.FAILED})

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(SubmissionQuerySet, "bulk_update", fail)
    with pytest.raises(RuntimeError):
        regrade_run_apply(run_id=run.pk, applied_by=instructor)

    assert not GradeHistory.objects.exists()
    assert _grades(submission)[0][0] == Status.PASSED
    run.refresh_from_db()
    assert run.status == RegradeRunStatus.READY


def test_the_sweep_marks_ready_a_run_whose_last_worker_died_before_marking_it(
    task: CodingTask, offering: Offering
) -> None:
    submission = judged_submission(task, StudentFactory.create(), offering, status=Status.PASSED)
    run = judged_run(task, offering, {submission: Status.FAILED}, status=RegradeRunStatus.JUDGING)

    regrade_judging.regrade_items_sweep()

    run.refresh_from_db()
    assert run.status == RegradeRunStatus.READY and run.judged_at is not None


def test_deleting_a_regraded_student_keeps_the_run_and_deletes_their_history(
    task: CodingTask, offering: Offering, instructor: User
) -> None:
    student = StudentFactory.create()
    submission = judged_submission(task, student, offering, status=Status.PASSED)
    run = regrade_run_start(
        task=task,
        offering=offering,
        scope=RegradeScope.STUDENT,
        student_username=student.username,
        started_by=instructor,
    )
    RegradeItem.objects.filter(run=run).update(
        status=RegradeItemStatus.DONE, new_status=Status.FAILED, new_result={}
    )
    RegradeRun.objects.filter(pk=run.pk).update(status=RegradeRunStatus.READY)
    regrade_run_apply(run_id=run.pk, applied_by=instructor)
    assert GradeHistory.objects.filter(submission=submission).exists()

    student.delete()

    run.refresh_from_db()
    assert run.student_id is None
    assert not GradeHistory.objects.exists()
