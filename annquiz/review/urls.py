"""The instructors' review pages, mounted at ``/courses/<course_slug>/dashboard/review/``
under the namespace ``review``."""

from __future__ import annotations

from django.urls import path

from annquiz.review import views

app_name = "review"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("audit/", views.audit, name="audit"),
    path("answers/<int:answer_id>/", views.answer, name="answer"),
    path("submissions/<int:submission_id>/", views.submission, name="submission"),
]
