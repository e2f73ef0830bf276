"""The instructors' dashboards, mounted at ``/courses/<course_slug>/dashboard/`` under the
namespace ``dashboards``."""

from __future__ import annotations

from django.urls import path

from annquiz.dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("questions/", views.questions, name="questions"),
    path("questions/<str:key>/", views.question, name="question"),
    path("queue/", views.queue, name="queue"),
    path("groups/", views.groups, name="groups"),
    path("students/<int:student_id>/", views.student, name="student"),
    path("tasks/<slug:task_slug>/", views.task, name="task"),
]
