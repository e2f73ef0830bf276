"""Admin: instructors edit the coding tasks; submissions are read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from annquiz.coding.catalog_sync import lesson_pages_refresh
from annquiz.coding.models import CodingTask, Submission
from annquiz.coding.submitting import judging_time_budget
from annquiz.core.admin_access import ContentAccess, InstructorAccess
from annquiz.core.markdown_rendering import render_markdown
from annquiz.core.static_files import static_prefix
from training.errors import TrainingError
from training.judging import (
    TaskDefinition,
    TaskDefinitionError,
    admit,
    parse_task_definition,
)
from training.solutions import parse_solution


class CodingTaskAdminForm(forms.ModelForm):
    """Checks the definition with the judge's parser, and that the reference and broken
    solutions still parse and fit the task, before anything is saved."""

    class Meta:
        model = CodingTask
        fields = (
            "slug",
            "title",
            "order",
            "summary",
            "course",
            "lesson",
            "statement_markdown",
            "definition",
            "starter_kind",
            "starter_source",
            "reference_kind",
            "reference_source",
            "broken_kind",
            "broken_source",
            "max_attempts",
            "is_open",
            "is_active",
        )

    parsed_definition: TaskDefinition | None = None

    def clean_definition(self) -> Any:
        data = self.cleaned_data["definition"]
        try:
            self.parsed_definition = parse_task_definition(data)
        except TaskDefinitionError as error:
            raise forms.ValidationError(str(error)) from None
        return data

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        definition = self.parsed_definition
        if definition is None:
            return cleaned
        for role in ("starter", "reference", "broken"):
            kind, source = cleaned.get(f"{role}_kind"), cleaned.get(f"{role}_source")
            if not kind or source is None:
                continue
            try:
                admit(
                    definition,
                    parse_solution(kind, source),
                    time_budget=judging_time_budget(),
                )
            except TrainingError as error:
                self.add_error(f"{role}_source", f"{role} solution: {error}")
        return cleaned

    def save(self, commit: bool = True) -> CodingTask:
        task: CodingTask = super().save(commit=False)
        assert self.parsed_definition is not None  # a valid form has a parsed definition
        task.backend = self.parsed_definition.backend
        task.statement_html = render_markdown(
            task.statement_markdown, static_prefix=static_prefix()
        )
        if commit:
            task.save()
        return task


@admin.register(CodingTask)
class CodingTaskAdmin(ContentAccess, admin.ModelAdmin):
    form = CodingTaskAdminForm
    list_display = ("slug", "title", "backend", "is_open", "is_active", "max_attempts", "order")
    list_filter = ("backend", "is_open", "is_active")
    list_editable = ("is_open",)
    search_fields = ("slug", "title")

    def save_model(self, request: HttpRequest, obj: CodingTask, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        lesson_pages_refresh()


@admin.register(Submission)
class SubmissionAdmin(InstructorAccess, admin.ModelAdmin):
    list_display = ("id", "task", "student", "status", "worker_attempts", "created_at")
    list_filter = ("status", "queue", "task")
    search_fields = ("student__username", "task__slug")
    list_select_related = ("task", "student")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # read-only: a verdict changes only by judging

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
