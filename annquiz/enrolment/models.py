"""Offerings of the course content, who takes part in each, and each offering's settings.

A ``courses.Course`` is the content (lessons and questions loaded from ``fixtures/course/``);
an ``Offering`` is one run of that content with its own students and instructors, join code,
deadlines and task settings. Pages and the API call an offering a "course": its slug is the
``<course_slug>`` of ``/courses/<course_slug>/…``. ``load_course`` keeps one default offering
per content whose slug is the content's slug. See docs/courses.md.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from annquiz.enrolment.codes import invitation_token_new, join_code_new

GROUP_MAX_LENGTH = 40


class Role(models.TextChoices):
    STUDENT = "student", "Student"
    INSTRUCTOR = "instructor", "Instructor"


class Offering(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    # PROTECT: an offering (and the answers made in it) outlives no edit of its content, but
    # content is never deleted under an offering.
    course = models.ForeignKey("courses.Course", on_delete=models.PROTECT, related_name="offerings")
    join_code = models.CharField(max_length=16, unique=True, default=join_code_new)
    is_open = models.BooleanField(
        default=True, help_text="Students may join with the join code (invitations always work)."
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(
        null=True, blank=True, help_text="No one joins with the code after the end."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("title", "id")

    def __str__(self) -> str:
        return self.title

    @property
    def description_html(self) -> str:
        """The content's description: what the course pages show under the title."""
        return str(self.course.description_html)

    def takes_joins_by_code(self, *, now: datetime | None = None) -> bool:
        moment = now or timezone.now()
        return self.is_open and (self.ends_at is None or moment < self.ends_at)


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    offering = models.ForeignKey(Offering, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    # A student's group in the offering (a lab or a section), set by its instructors; the
    # dashboards and the gradebook show one group at a time. Empty: in no group.
    group = models.CharField(max_length=GROUP_MAX_LENGTH, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("offering_id", "role", "user_id")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "offering"], name="enrolment_membership_unique_user_offering"
            ),
        ]
        indexes = [models.Index(fields=["offering", "role"], name="enrolment_member_role")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.offering_id} as {self.role}"


class Invitation(models.Model):
    """A link ``/join/<token>/`` that makes whoever follows it (logged in) a member."""

    offering = models.ForeignKey(Offering, on_delete=models.CASCADE, related_name="invitations")
    token = models.CharField(max_length=64, unique=True, default=invitation_token_new)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.STUDENT)
    expires_at = models.DateTimeField(null=True, blank=True)
    max_uses = models.PositiveIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    uses = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.role} invitation to {self.offering_id}"


class LessonDeadline(models.Model):
    """When a lesson's answers are due in one offering; later answers are marked late."""

    offering = models.ForeignKey(
        Offering, on_delete=models.CASCADE, related_name="lesson_deadlines"
    )
    lesson = models.ForeignKey("courses.Lesson", on_delete=models.CASCADE, related_name="+")
    due_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["offering", "lesson"], name="enrolment_lesson_deadline_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lesson_id} due {self.due_at:%Y-%m-%d %H:%M} in {self.offering_id}"


class TaskSettings(models.Model):
    """One offering's settings of a coding task: its deadline (later submissions are marked
    late) and the attempts allowed, when they differ from the task's own."""

    offering = models.ForeignKey(Offering, on_delete=models.CASCADE, related_name="task_settings")
    task = models.ForeignKey("coding.CodingTask", on_delete=models.CASCADE, related_name="+")
    due_at = models.DateTimeField(null=True, blank=True)
    max_attempts = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text="Attempts allowed in this offering; empty: the task's own.",
    )

    class Meta:
        verbose_name_plural = "task settings"
        constraints = [
            models.UniqueConstraint(
                fields=["offering", "task"], name="enrolment_task_settings_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} in {self.offering_id}"
