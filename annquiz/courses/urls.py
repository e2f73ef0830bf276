"""Student-facing pages, mounted at ``/courses/`` under the namespace ``courses``."""

from __future__ import annotations

from django.urls import path

from annquiz.courses import views

app_name = "courses"

urlpatterns = [
    path("", views.course_list, name="course-list"),
    path("progress/", views.progress_overview, name="progress"),
    path("<slug:course_slug>/", views.course_detail, name="course"),
    path("<slug:course_slug>/lessons/<slug:lesson_slug>/", views.lesson_detail, name="lesson"),
    path(
        "<slug:course_slug>/lessons/<slug:lesson_slug>/progress/",
        views.lesson_progress,
        name="lesson-progress",
    ),
    path(
        "<slug:course_slug>/lessons/<slug:lesson_slug>/questions/<str:key>/answer/",
        views.answer_create,
        name="answer",
    ),
]
