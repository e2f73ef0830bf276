"""Instructors' decisions on grades, students' disputes, and the audit trail of both.

A grade is an answer's ``score``/``verdict`` (kept on ``courses.Answer``: a decision writes
the new grade there) or a coding submission's (``coding.grades.submission_score``: the
automatic grade from its status unless a ``SubmissionOverride`` says otherwise). Every
decision, a confirmation or an override, is one ``GradeChange`` row that is never edited:
who decided, when, the grade before and after, and the comment. See docs/dashboards.md.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from annquiz.courses.models import Verdict

SCORE_VALIDATORS = [MinValueValidator(0.0), MaxValueValidator(1.0)]
_ONE_TARGET = models.Q(answer__isnull=False, submission__isnull=True) | models.Q(
    answer__isnull=True, submission__isnull=False
)


class Decision(models.TextChoices):
    CONFIRM = "confirm", "Confirmed"
    OVERRIDE = "override", "Overridden"


class DisputeStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class Dispute(models.Model):
    """A student's request that an instructor look at the grade of one of their answers or
    submissions; open until an instructor decides on that grade."""

    offering = models.ForeignKey(
        "enrolment.Offering", on_delete=models.CASCADE, related_name="disputes"
    )
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    answer = models.ForeignKey(
        "courses.Answer", on_delete=models.CASCADE, null=True, blank=True, related_name="disputes"
    )
    submission = models.ForeignKey(
        "coding.Submission",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="disputes",
    )
    reason = models.TextField()
    status = models.CharField(
        max_length=16, choices=DisputeStatus.choices, default=DisputeStatus.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("created_at", "id")
        constraints = [
            models.CheckConstraint(condition=_ONE_TARGET, name="review_dispute_one_target"),
            models.UniqueConstraint(
                fields=["answer"],
                condition=models.Q(status="open", answer__isnull=False),
                name="review_dispute_one_open_per_answer",
            ),
            models.UniqueConstraint(
                fields=["submission"],
                condition=models.Q(status="open", submission__isnull=False),
                name="review_dispute_one_open_per_submission",
            ),
        ]
        indexes = [models.Index(fields=["offering", "status"], name="review_dispute_open_idx")]

    def __str__(self) -> str:
        return f"dispute {self.pk} ({self.status})"


class GradeChange(models.Model):
    """One instructor's decision on one grade: the audit trail, written once, never edited.

    ``before_automatic``: the grade before was the automatic grader's (no earlier decision
    on the same answer or submission); the agreement rate counts those decisions only.
    ``before_score`` is None for a submission that had no grade (a service failure).
    """

    offering = models.ForeignKey(
        "enrolment.Offering", on_delete=models.CASCADE, related_name="grade_changes"
    )
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    answer = models.ForeignKey(
        "courses.Answer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="grade_changes",
    )
    submission = models.ForeignKey(
        "coding.Submission",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="grade_changes",
    )
    decision = models.CharField(max_length=16, choices=Decision.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    before_score = models.FloatField(null=True, blank=True)
    before_verdict = models.CharField(max_length=16, choices=Verdict.choices, blank=True)
    before_automatic = models.BooleanField()
    after_score = models.FloatField(validators=SCORE_VALIDATORS)
    after_verdict = models.CharField(max_length=16, choices=Verdict.choices)
    comment = models.TextField()
    dispute = models.ForeignKey(
        Dispute, on_delete=models.SET_NULL, null=True, blank=True, related_name="decisions"
    )

    class Meta:
        ordering = ("decided_at", "id")
        constraints = [
            models.CheckConstraint(condition=_ONE_TARGET, name="review_change_one_target"),
        ]
        indexes = [models.Index(fields=["offering", "decided_at"], name="review_change_when_idx")]

    def __str__(self) -> str:
        return f"{self.decision} by {self.decided_by_id} at {self.decided_at:%Y-%m-%d %H:%M}"

    @property
    def agrees(self) -> bool:
        """The instructor kept the verdict (a confirmation always does)."""
        return self.after_verdict == self.before_verdict


class SubmissionOverride(models.Model):
    """A submission's grade as an instructor set it: ``coding.grades.submission_score``
    answers ``score`` while this row exists. ``change`` is the decision that set it."""

    submission = models.OneToOneField(
        "coding.Submission", on_delete=models.CASCADE, related_name="grade_override"
    )
    score = models.FloatField(validators=SCORE_VALIDATORS)
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    change = models.ForeignKey(GradeChange, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"submission {self.submission_id}: {self.score} ({self.verdict})"
