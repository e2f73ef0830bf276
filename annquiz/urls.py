"""Top-level URL configuration."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("annquiz.accounts.urls")),
    path("api/", include("annquiz.api_urls")),
    path("courses/<slug:course_slug>/dashboard/review/", include("annquiz.review.urls")),
    path("courses/<slug:course_slug>/dashboard/gradebook/", include("annquiz.gradebook.urls")),
    path("courses/<slug:course_slug>/dashboard/", include("annquiz.dashboards.urls")),
    path("courses/<slug:course_slug>/grades/", include("annquiz.review.student_urls")),
    path("courses/", include("annquiz.courses.urls")),
    path("tasks/", include("annquiz.coding.urls")),
    path("join/", include("annquiz.enrolment.urls")),
    path("", include("annquiz.core.urls")),
]
