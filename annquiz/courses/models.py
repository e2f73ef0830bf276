"""Course content (courses, lessons, questions) and students' answers and progress.

Content rows are identified by natural keys so the ``load_course`` command can upsert them:
a course by its slug, a lesson by (course, slug), a question by (course, key). Questions
removed from the content are deactivated, never deleted, so students' answers survive.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from annquiz.courses.querysets import (
    AnswerQuerySet,
    LessonQuerySet,
    QuestionProgressQuerySet,
    QuestionQuerySet,
)


class QuestionKind(models.TextChoices):
    SINGLE_CHOICE = "single_choice", "Single choice"
    MULTIPLE_CHOICE = "multiple_choice", "Multiple choice"
    NUMERIC = "numeric", "Numeric"
    FREE_TEXT = "free_text", "Free text"
    PARAMETRIZED = "parametrized", "Parametrized"


class Verdict(models.TextChoices):
    CORRECT = "correct", "Correct"
    PARTIAL = "partial", "Partially correct"
    INCORRECT = "incorrect", "Incorrect"


def validate_blocks(value: Any) -> None:
    """A lesson's blocks: a list of ``{"type": "html", "html": str}`` or
    ``{"type": "question", "key": str}`` objects, nothing else."""
    if not isinstance(value, list):
        raise ValidationError(f"blocks must be a JSON list, not {type(value).__name__}")
    for index, block in enumerate(value):
        if not isinstance(block, dict):
            raise ValidationError(f"blocks[{index}] must be an object")
        kind = block.get("type")
        if kind == "html":
            expected = {"type", "html"}
        elif kind == "question":
            expected = {"type", "key"}
        else:
            raise ValidationError(
                f"blocks[{index}].type must be 'html' or 'question', not {kind!r}"
            )
        if set(block) != expected:
            raise ValidationError(
                f"blocks[{index}] of type {kind!r} must have exactly the keys {sorted(expected)}"
            )
        field = "html" if kind == "html" else "key"
        payload = block[field]
        if not isinstance(payload, str) or (kind == "question" and not payload):
            raise ValidationError(f"blocks[{index}].{field} must be text (a key is never empty)")


def validate_hints(value: Any) -> None:
    """A question's hints: a list of HTML texts, none of them blank."""
    if not isinstance(value, list):
        raise ValidationError(f"hints must be a JSON list, not {type(value).__name__}")
    for index, hint in enumerate(value):
        if not isinstance(hint, str) or not hint.strip():
            raise ValidationError(f"hints[{index}] must be non-blank text")


class Course(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    description_html = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("title", "id")

    def __str__(self) -> str:
        return self.title


class Lesson(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    slug = models.SlugField(max_length=100)
    title = models.CharField(max_length=200)
    order = models.PositiveIntegerField(default=0)
    summary = models.TextField(blank=True)
    blocks = models.JSONField(default=list, blank=True, validators=[validate_blocks])
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ("course_id", "order", "id")
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="courses_lesson_unique_slug"),
        ]

    def __str__(self) -> str:
        return self.title

    def question_keys(self) -> list[str]:
        """The keys of the questions placed in this lesson's blocks, in order."""
        return [str(block["key"]) for block in self.blocks if block.get("type") == "question"]


class Question(models.Model):
    # ``course`` repeats ``lesson.course`` so that "key unique per course" is a database
    # constraint; ``save`` keeps the two in step.
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="questions")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="questions")
    key = models.CharField(max_length=100)
    kind = models.CharField(max_length=32, choices=QuestionKind.choices)
    prompt_html = models.TextField()
    # Hints are shown one by one after wrong attempts and never give the answer away; the
    # explanation and the model answer are shown only once earned (solved or attempts used).
    hints_html = models.JSONField(default=list, blank=True, validators=[validate_hints])
    explanation_html = models.TextField(blank=True)
    model_answer_html = models.TextField(blank=True)
    handout_section = models.CharField(max_length=200, blank=True)
    max_attempts = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    points = models.FloatField(default=1.0, validators=[MinValueValidator(0.0)])
    order = models.PositiveIntegerField(default=0)
    config = models.JSONField(default=dict)
    # The Markdown the texts above are rendered from ({"prompt", "explanation",
    # "model_answer": str, "hints": [str]}; empty for rows loaded before it was kept) and the
    # answer table of a free-text question (cases: text, expect, kind, why, choice).
    markdown = models.JSONField(default=dict, blank=True)
    test_answers = models.JSONField(default=list, blank=True)
    # Set by an edit on the web, cleared when ``load_course`` finds the files equal to it (or
    # is forced): while set, ``load_course`` keeps the question (docs/questions.md).
    edited_on_web_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ("lesson_id", "order", "id")
        constraints = [
            models.UniqueConstraint(fields=["course", "key"], name="courses_question_unique_key"),
            models.CheckConstraint(
                condition=models.Q(max_attempts__gte=1), name="courses_question_max_attempts_gte_1"
            ),
        ]

    def __str__(self) -> str:
        return self.key

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.lesson_id is not None and (
            self.course_id is None or self.course_id != self.lesson.course_id
        ):
            self.course_id = self.lesson.course_id
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "course"}
        super().save(*args, **kwargs)


class QuestionVersion(models.Model):
    """One edit of a question made on the web: who, when, and the content it stored
    (``{"markdown", "config", "test_answers"}``), numbered 1, 2, ... per question."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="question_versions",
    )
    content = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("question_id", "-number")
        constraints = [
            models.UniqueConstraint(
                fields=["question", "number"], name="courses_version_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question_id} v{self.number}"


class QuestionVariant(models.Model):
    """One student's numbers for a parametrized question, drawn once and kept.

    ``prompt_text`` is the filled-in Markdown prompt and ``prompt_html`` its rendering.
    ``answer`` and ``tolerance`` are stored with the numbers so that a later edit of the
    question's template does not change the answer to a variant already shown.
    """

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="variants")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="question_variants"
    )
    seed = models.BigIntegerField()
    params = models.JSONField(default=dict)
    prompt_text = models.TextField()
    prompt_html = models.TextField()
    answer = models.JSONField()
    tolerance = models.FloatField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["question", "student"], name="courses_variant_unique_question_student"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question_id}/{self.student_id} seed={self.seed}"


class Answer(models.Model):
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="answers"
    )
    # PROTECT: a question with answers is deactivated, never deleted with its answers.
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    variant = models.ForeignKey(
        QuestionVariant, on_delete=models.PROTECT, null=True, blank=True, related_name="answers"
    )
    response = models.JSONField()
    score = models.FloatField(validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    feedback = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    # How sure the grading is (1 for every kind but free text); null for answers graded
    # before it was recorded. A free-text grading below ANNQUIZ_REVIEW_CONFIDENCE needs review.
    confidence = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    needs_review = models.BooleanField(default=False)
    # The keys of the question's choices in the order this student was shown them (empty for
    # a question without choices): see ``courses.choice_order``.
    choice_order = models.JSONField(default=list, blank=True)
    attempt_number = models.PositiveSmallIntegerField()
    # The offering the student answered in (docs/courses.md); ``is_late``: after the
    # offering's deadline of the lesson.
    offering = models.ForeignKey(
        "enrolment.Offering", on_delete=models.PROTECT, related_name="answers"
    )
    is_late = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AnswerQuerySet.as_manager()

    class Meta:
        ordering = ("question_id", "attempt_number")
        constraints = [
            models.UniqueConstraint(
                fields=["student", "question", "attempt_number"],
                name="courses_answer_unique_attempt",
            ),
            models.CheckConstraint(
                condition=models.Q(attempt_number__gte=1), name="courses_answer_attempt_gte_1"
            ),
        ]
        indexes = [
            models.Index(fields=["student", "created_at"], name="courses_answer_student_idx"),
            # A course's recent activity and date ranges on its dashboards.
            models.Index(fields=["offering", "created_at"], name="courses_answer_offering_time"),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} on {self.question_id} #{self.attempt_number}: {self.verdict}"


class QuestionProgress(models.Model):
    """A student's running state on one question; the row locked while an answer is stored."""

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="question_progress"
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="progress")
    attempts_used = models.PositiveSmallIntegerField(default=0)
    best_score = models.FloatField(default=0.0)
    solved = models.BooleanField(default=False)
    last_answered_at = models.DateTimeField(null=True, blank=True)

    objects = QuestionProgressQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "question progress"
        constraints = [
            models.UniqueConstraint(
                fields=["student", "question"], name="courses_progress_unique_student_question"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} on {self.question_id}: {self.attempts_used} used"

    def attempts_left(self, max_attempts: int) -> int:
        return max(0, max_attempts - self.attempts_used)

    def model_answer_earned(self, max_attempts: int) -> bool:
        """The model answer is shown once the question is solved or every attempt is used."""
        return self.solved or self.attempts_used >= max_attempts
