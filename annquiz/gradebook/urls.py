"""The gradebook, mounted at ``/courses/<course_slug>/dashboard/gradebook/`` under the
namespace ``gradebook``."""

from __future__ import annotations

from django.urls import path

from annquiz.gradebook import views

app_name = "gradebook"

urlpatterns = [
    path("", views.gradebook, name="page"),
    path("policy/", views.policy, name="policy"),
]
