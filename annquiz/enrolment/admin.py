"""Admin: offerings with their members, invitations, deadlines and task settings.

Content editors (``core.roles``: superusers and the "instructors" group, who are staff)
manage them here; per-course instructors need no admin access for their own course's data.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from annquiz.core.admin_access import ContentAccess
from annquiz.enrolment.models import (
    Invitation,
    LessonDeadline,
    Membership,
    Offering,
    TaskSettings,
)


class MembershipInline(ContentAccess, admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user",)


class LessonDeadlineInline(ContentAccess, admin.TabularInline):
    model = LessonDeadline
    extra = 0


class TaskSettingsInline(ContentAccess, admin.TabularInline):
    model = TaskSettings
    extra = 0


@admin.register(Offering)
class OfferingAdmin(ContentAccess, admin.ModelAdmin):
    list_display = ("slug", "title", "course", "join_code", "is_open", "starts_at", "ends_at")
    list_filter = ("is_open", "course")
    search_fields = ("slug", "title", "join_code")
    inlines = [MembershipInline, LessonDeadlineInline, TaskSettingsInline]


@admin.register(Membership)
class MembershipAdmin(ContentAccess, admin.ModelAdmin):
    list_display = ("user", "offering", "role", "created_at")
    list_filter = ("role", "offering")
    search_fields = ("user__username", "offering__slug")
    list_select_related = ("user", "offering")
    raw_id_fields = ("user",)


@admin.register(Invitation)
class InvitationAdmin(ContentAccess, admin.ModelAdmin):
    list_display = ("offering", "role", "uses", "max_uses", "expires_at", "created_at")
    list_filter = ("role", "offering")
    readonly_fields = ("token", "uses", "created_by")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change and request.user.is_authenticated:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
