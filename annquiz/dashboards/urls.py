"""The instructors' dashboards, mounted at ``/courses/<course_slug>/dashboard/`` under the
namespace ``dashboards``."""

from __future__ import annotations

from django.urls import path

from annquiz.dashboards import question_edit, regrade_views, views

app_name = "dashboards"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("questions/", views.questions, name="questions"),
    path("questions/<str:key>/", views.question, name="question"),
    path("questions/<str:key>/edit/", question_edit.question_edit_page, name="question-edit"),
    path("queue/", views.queue, name="queue"),
    path("groups/", views.groups, name="groups"),
    path("students/<int:student_id>/", views.student, name="student"),
    path("tasks/<slug:task_slug>/", views.task, name="task"),
    path("tasks/<slug:task_slug>/regrade/", regrade_views.regrade, name="regrade"),
    path(
        "tasks/<slug:task_slug>/regrade/<int:run_id>/",
        regrade_views.regrade_run,
        name="regrade-run",
    ),
    path(
        "tasks/<slug:task_slug>/regrade/<int:run_id>/apply/",
        regrade_views.regrade_apply,
        name="regrade-apply",
    ),
]
