"""Joining a course, mounted at ``/join/`` under the namespace ``enrolment``."""

from __future__ import annotations

from django.urls import path

from annquiz.enrolment import views

app_name = "enrolment"

urlpatterns = [
    path("", views.join, name="join"),
    path("<str:token>/", views.invitation, name="invitation"),
]
