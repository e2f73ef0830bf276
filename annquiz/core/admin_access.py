"""Admin access for instructors (see ``core.roles``): the apps' admin classes mix these in."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from annquiz.core.roles import is_instructor


class InstructorAccess:
    """Instructors may see and edit the model's rows without model grants."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_instructor(request.user) or super().has_module_permission(request)  # type: ignore[misc]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_instructor(request.user) or super().has_view_permission(request, obj)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_instructor(request.user) or super().has_change_permission(request, obj)  # type: ignore[misc]


class ContentAccess(InstructorAccess):
    """Instructors may also add rows: course content and coding tasks."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return is_instructor(request.user) or super().has_add_permission(request, *args)  # type: ignore[misc]
