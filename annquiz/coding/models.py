"""Coding tasks and students' submissions to them, judged by the training core.

A ``CodingTask`` is one entry of the task catalog (``fixtures/tasks/<slug>/``), upserted by
``manage.py load_tasks`` and editable in the admin. Its ``definition`` is the data that
``training.judging.parse_task_definition`` reads: dataset, backend, seeds, checks, limits.

A ``Submission`` row is the source of truth for one judging: its status moves
``queued → running → passed | failed | diverged`` when the student's network was judged, or
``queued/running → timed_out | error`` when the service failed (those never use up an
attempt). Workers claim a row with a conditional update and store one result against the
claim's token, so a re-delivered message can never judge a submission twice.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from annquiz.coding.querysets import SubmissionQuerySet
from annquiz.coding.statuses import SERVICE_FAILURE_STATUSES, Status
from training.solutions import canonical_spec_record


class Backend(models.TextChoices):
    NUMPY = "numpy", "NumPy"
    TENSORFLOW = "tensorflow", "TensorFlow"


class SourceKind(models.TextChoices):
    JSON = "json", "JSON spec"
    KERAS = "keras", "Keras snippet"


class CodingTask(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    order = models.PositiveIntegerField(default=0)
    summary = models.CharField(max_length=300, blank=True)
    course = models.ForeignKey(
        "courses.Course",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="coding_tasks",
    )
    lesson = models.ForeignKey(
        "courses.Lesson",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="coding_tasks",
    )
    statement_markdown = models.TextField()
    statement_html = models.TextField(blank=True)
    # Read by training.judging.parse_task_definition; validated on save by load_tasks/admin.
    definition = models.JSONField()
    backend = models.CharField(max_length=16, choices=Backend.choices)
    starter_kind = models.CharField(max_length=8, choices=SourceKind.choices)
    starter_source = models.TextField()
    reference_kind = models.CharField(max_length=8, choices=SourceKind.choices)
    reference_source = models.TextField()
    broken_kind = models.CharField(max_length=8, choices=SourceKind.choices)
    broken_source = models.TextField()
    max_attempts = models.PositiveIntegerField(default=10)
    # The key of a question of ``course`` (a lesson checkpoint) whose answer the task's rules
    # give away: a student reads and submits to the task only once that question's model
    # answer is earned (``annquiz.coding.gating``). Empty: open from the start.
    opens_after = models.CharField(max_length=100, blank=True)
    is_open = models.BooleanField(
        default=True, help_text="Closed tasks can be read but take no new submissions."
    )
    # False once the task left the catalog; its submissions are kept.
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("order", "slug")

    def __str__(self) -> str:
        return self.slug

    @property
    def queue(self) -> str:
        """The Celery queue its submissions go to: one per backend."""
        return str(self.backend)


class Submission(models.Model):
    task = models.ForeignKey(CodingTask, on_delete=models.PROTECT, related_name="submissions")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions"
    )
    # The offering the student submitted in (docs/courses.md); empty only for submissions
    # made before offerings existed to a task that belongs to no course.
    offering = models.ForeignKey(
        "enrolment.Offering",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="submissions",
    )
    # The student's 1st, 2nd, … submission to the task (what pages and the API call it).
    number = models.PositiveIntegerField()
    # Made after the offering's deadline of the task.
    is_late = models.BooleanField(default=False)
    source_kind = models.CharField(max_length=8, choices=SourceKind.choices)
    source = models.TextField()
    # The parsed network (training.spec.spec_to_dict) and its diagram rows.
    spec = models.JSONField()
    # What the worker judges: the spec as it was admitted, with the context it was parsed in
    # (training.solutions.admitted_spec_record). Stored once, at submit time.
    admitted_spec = models.JSONField(null=True, blank=True)
    architecture = models.JSONField(default=dict)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    message = models.TextField(blank=True)
    # {"seed_index", "n_seeds", "epoch", "epochs"} while running.
    progress = models.JSONField(default=dict, blank=True)
    # training.judging.Judgement.to_dict() once judged.
    result = models.JSONField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=255, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    queue = models.CharField(max_length=16, choices=Backend.choices)
    claim_token = models.UUIDField(null=True, blank=True)
    # "<host>:<pid>" of the worker process holding the claim: a re-delivered message on the
    # same host takes over at once when that process is gone.
    claimed_by = models.CharField(max_length=300, blank=True)
    worker_attempts = models.PositiveSmallIntegerField(default=0)
    enqueue_count = models.PositiveSmallIntegerField(default=0)
    # False while the submission's judging message could not be sent (the broker was down
    # when it was stored): the sweeper sends it as soon as the broker answers.
    message_sent = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["student", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="coding_submission_unique_idempotency_key",
            ),
            models.UniqueConstraint(
                fields=["student", "task", "number"], name="coding_submission_unique_number"
            ),
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="coding_submission_number_gte_1"
            ),
        ]
        indexes = [
            models.Index(fields=["student", "task", "created_at"], name="coding_sub_student_task"),
            models.Index(fields=["status", "queue", "created_at"], name="coding_sub_status_queue"),
            # A course's recent activity and date ranges on its dashboards.
            models.Index(fields=["offering", "created_at"], name="coding_sub_offering_time"),
        ]

    def __str__(self) -> str:
        return f"submission {self.pk} of {self.task_id} by {self.student_id}: {self.status}"

    def admitted_record(self) -> dict[str, Any]:
        """``admitted_spec``; for a row stored without one (before the field existed), the
        record its canonical ``spec`` was admitted as: every submission was parsed by
        ``training.solutions.parse_solution``, with the task's validation rows."""
        if self.admitted_spec is not None:
            return dict(self.admitted_spec)
        return canonical_spec_record(self.spec)

    @property
    def counts_as_attempt(self) -> bool:
        """Everything but a failure of the service uses up one of the student's attempts."""
        return self.status not in SERVICE_FAILURE_STATUSES


class RegradeScope(models.TextChoices):
    ALL = "all", "Every judged submission"
    FAILED = "failed", "Failed and diverged submissions only"
    STUDENT = "student", "One student's judged submissions"


class RegradeRunStatus(models.TextChoices):
    # Its items are being judged again on the "regrade" queue; nobody's grade has changed.
    JUDGING = "judging", "Judging again"
    # Every item is judged: the proposed changes wait for the instructor (the dry run).
    READY = "ready", "Ready to review"
    # The proposed changes were written to the submissions, each with its history row.
    APPLIED = "applied", "Applied"


class RegradeItemStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Judged"
    # Not judged again (the service failed, or the network is refused by the task's new
    # limits): its submission keeps its grade when the run is applied.
    ERROR = "error", "Not judged"


class RegradeRun(models.Model):
    """Judging a task's submissions in an offering again, after its checks changed.

    Its items are judged on the "regrade" queue and the results stored on the items only, as
    *proposed* grades: that is the dry run, which changes no student's grade. Applying the
    run writes each changed grade to its submission with a ``GradeHistory`` row, at once.
    """

    task = models.ForeignKey(CodingTask, on_delete=models.PROTECT, related_name="regrade_runs")
    offering = models.ForeignKey(
        "enrolment.Offering", on_delete=models.PROTECT, related_name="regrade_runs"
    )
    scope = models.CharField(max_length=16, choices=RegradeScope.choices)
    # The student of a STUDENT scope (kept empty if that account is deleted: the run stays
    # for the history of the other grades it may have changed).
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=RegradeRunStatus.choices, default=RegradeRunStatus.JUDGING
    )
    # What judged the items: the code (package version and git commit when known), the
    # task's definition (a hash of its checks, thresholds, limits and seeds) and its seeds.
    code_version = models.CharField(max_length=200)
    definition_hash = models.CharField(max_length=64)
    seeds = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    judged_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Set when applied: grades written, and items left alone because their submission's
    # grade had changed since the run judged it.
    applied_count = models.PositiveIntegerField(default=0)
    stale_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=["task", "offering", "status"], name="coding_regrade_run_task"),
        ]

    def __str__(self) -> str:
        return f"regrade {self.pk} of {self.task_id} in {self.offering_id}: {self.status}"


class RegradeItem(models.Model):
    """One submission of a regrade run: its grade when the run started and the proposed one.

    Workers claim an item as they claim a submission (``annquiz.coding.regrade_judging``):
    a conditional update issues a claim token, and the result is stored only under it.
    """

    run = models.ForeignKey(RegradeRun, on_delete=models.CASCADE, related_name="items")
    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="regrade_items"
    )
    status = models.CharField(
        max_length=16, choices=RegradeItemStatus.choices, default=RegradeItemStatus.QUEUED
    )
    old_status = models.CharField(max_length=16, choices=Status.choices)
    new_status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    new_result = models.JSONField(null=True, blank=True)
    # The new verdict's summary, or why the item was not judged.
    new_message = models.TextField(blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    claimed_by = models.CharField(max_length=300, blank=True)
    worker_attempts = models.PositiveSmallIntegerField(default=0)
    message_sent = models.BooleanField(default=False)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("id",)
        constraints = [
            models.UniqueConstraint(
                fields=["run", "submission"], name="coding_regrade_item_unique_submission"
            )
        ]
        indexes = [models.Index(fields=["status"], name="coding_regrade_item_status")]

    def __str__(self) -> str:
        return f"regrade item {self.pk} of submission {self.submission_id}: {self.status}"


class GradeHistory(models.Model):
    """An earlier grade of a submission, replaced when a regrade run was applied."""

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="grade_history"
    )
    run = models.ForeignKey(RegradeRun, on_delete=models.PROTECT, related_name="history")
    old_status = models.CharField(max_length=16, choices=Status.choices)
    old_message = models.TextField(blank=True)
    old_result = models.JSONField(null=True, blank=True)
    new_status = models.CharField(max_length=16, choices=Status.choices)
    # What judged the new grade (copied from the run, so the row stands on its own).
    code_version = models.CharField(max_length=200)
    definition_hash = models.CharField(max_length=64)
    seeds = models.JSONField(default=list)
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ("-changed_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["run", "submission"], name="coding_grade_history_unique_run"
            )
        ]

    def __str__(self) -> str:
        return f"submission {self.submission_id}: {self.old_status} → {self.new_status}"
