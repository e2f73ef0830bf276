"""Admin: instructors edit courses, lessons and questions; answers are read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from annquiz.core.admin_access import ContentAccess, InstructorAccess
from annquiz.courses import grading
from annquiz.courses.models import (
    Answer,
    Course,
    Lesson,
    Question,
    QuestionProgress,
    QuestionVariant,
    QuestionVersion,
)


class QuestionAdminForm(forms.ModelForm):
    """Checks the config against the question's kind with the grading engine's validator."""

    class Meta:
        model = Question
        fields = (  # not ``course``: it follows the lesson
            "lesson",
            "key",
            "kind",
            "prompt_html",
            "hints_html",
            "explanation_html",
            "model_answer_html",
            "handout_section",
            "max_attempts",
            "points",
            "order",
            "config",
            "is_active",
        )
        widgets = {"config": forms.Textarea(attrs={"rows": 16, "cols": 100})}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind")
        config = cleaned.get("config")
        if kind and "config" not in self.errors:
            if not isinstance(config, dict):
                self.add_error("config", "the config must be a JSON object")
            else:
                try:
                    grading.validate_config(kind, config)
                except grading.ConfigError as exc:
                    self.add_error("config", f"config.{exc.path}: {exc.message}")
        lesson = cleaned.get("lesson")
        key = cleaned.get("key")
        if lesson is not None:
            self.instance.course_id = lesson.course_id
            if (
                key
                and Question.objects.filter(course_id=lesson.course_id, key=key)
                .exclude(pk=self.instance.pk)
                .exists()
            ):
                self.add_error("key", f"course {lesson.course} already has a question {key!r}")
        return cleaned


class LessonInline(ContentAccess, admin.TabularInline):
    model = Lesson
    fields = ("order", "slug", "title", "is_active")
    extra = 0
    show_change_link = True


@admin.register(Course)
class CourseAdmin(ContentAccess, admin.ModelAdmin):
    list_display = ("slug", "title", "updated_at")
    search_fields = ("slug", "title")
    inlines = [LessonInline]


class QuestionInline(InstructorAccess, admin.TabularInline):
    model = Question
    fk_name = "lesson"
    fields = ("order", "key", "kind", "max_attempts", "points", "is_active")
    readonly_fields = ("key", "kind")
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Lesson)
class LessonAdmin(ContentAccess, admin.ModelAdmin):
    list_display = ("title", "course", "order", "slug", "is_active")
    list_filter = ("course", "is_active")
    search_fields = ("slug", "title")
    ordering = ("course", "order")
    inlines = [QuestionInline]


@admin.register(Question)
class QuestionAdmin(ContentAccess, admin.ModelAdmin):
    form = QuestionAdminForm
    list_display = ("key", "kind", "lesson", "order", "max_attempts", "points", "is_active")
    list_filter = ("kind", "is_active", "course", "lesson")
    search_fields = ("key", "prompt_html")
    list_select_related = ("lesson",)
    ordering = ("course", "lesson__order", "order")


class ReadOnlyAdmin(InstructorAccess, admin.ModelAdmin):
    """Students' records: visible to instructors, never edited or added by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Answer)
class AnswerAdmin(ReadOnlyAdmin):
    list_display = (
        "student", "question", "attempt_number", "verdict", "score", "confidence",
        "needs_review", "created_at",
    )  # fmt: skip
    list_filter = ("needs_review", "verdict", "question__course")
    search_fields = ("student__username", "question__key")
    list_select_related = ("student", "question")
    date_hierarchy = "created_at"


@admin.register(QuestionProgress)
class QuestionProgressAdmin(ReadOnlyAdmin):
    list_display = ("student", "question", "attempts_used", "best_score", "solved")
    list_filter = ("solved",)
    search_fields = ("student__username", "question__key")
    list_select_related = ("student", "question")


@admin.register(QuestionVariant)
class QuestionVariantAdmin(ReadOnlyAdmin):
    list_display = ("student", "question", "seed", "created")
    search_fields = ("student__username", "question__key")
    list_select_related = ("student", "question")


@admin.register(QuestionVersion)
class QuestionVersionAdmin(ReadOnlyAdmin):
    """The edits of questions made on the dashboards' edit page: who, when, what."""

    list_display = ("question", "number", "author", "created_at")
    list_filter = ("question__course",)
    search_fields = ("question__key", "author__username")
    list_select_related = ("question", "author")
