"""``/api/v1/`` routes of the review (in the API's namespace "api", see
``annquiz/api_urls.py``)."""

from __future__ import annotations

from django.urls import path

from annquiz.review import apis

urlpatterns = [
    path(
        "v1/answers/<int:answer_id>/disputes/",
        apis.AnswerDisputesApi.as_view(),
        name="answer-disputes",
    ),
    path(
        "v1/submissions/<int:submission_id>/disputes/",
        apis.SubmissionDisputesApi.as_view(),
        name="submission-disputes",
    ),
]
