"""A student's own grades with the instructors' comments and the form to dispute them,
mounted at ``/courses/<course_slug>/grades/`` under the namespace ``grades``."""

from __future__ import annotations

from django.urls import path

from annquiz.review import views

app_name = "grades"

urlpatterns = [
    path("answers/<int:answer_id>/", views.my_answer, name="answer"),
    path("submissions/<int:submission_id>/", views.my_submission, name="submission"),
]
