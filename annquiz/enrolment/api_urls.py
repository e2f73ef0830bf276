"""``/api/v1/`` routes of enrolment (in the API's namespace "api")."""

from __future__ import annotations

from django.urls import path

from annquiz.enrolment import apis

urlpatterns = [
    path("v1/memberships/", apis.MembershipsApi.as_view(), name="memberships"),
]
