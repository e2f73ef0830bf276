"""URLs of the REST API (mounted at ``/api/``): ``v1/...``, the OpenAPI schema and its docs.

Anything else under ``/api/`` (a non-numeric id, an unknown path) is a 404 in the API's JSON
error shape, not the site's HTML page.
"""

from __future__ import annotations

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from annquiz.coding import api_urls as coding_api_urls
from annquiz.courses import apis

app_name = "api"

urlpatterns = [
    path("v1/auth/token/", apis.AuthTokenApi.as_view(), name="auth-token"),
    path("v1/courses/", apis.CourseListApi.as_view(), name="course-list"),
    path("v1/courses/<slug:slug>/", apis.CourseDetailApi.as_view(), name="course-detail"),
    path(
        "v1/courses/<slug:slug>/lessons/",
        apis.CourseLessonListApi.as_view(),
        name="course-lesson-list",
    ),
    path("v1/lessons/<int:lesson_id>/", apis.LessonDetailApi.as_view(), name="lesson-detail"),
    path(
        "v1/questions/<int:question_id>/", apis.QuestionDetailApi.as_view(), name="question-detail"
    ),
    path(
        "v1/questions/<int:question_id>/answers/",
        apis.QuestionAnswersApi.as_view(),
        name="question-answers",
    ),
    path("v1/me/progress/", apis.MyProgressApi.as_view(), name="my-progress"),
    *coding_api_urls.urlpatterns,
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    # Only paths ending in "/", so that CommonMiddleware still adds a missing slash.
    re_path(r"^(?:[\s\S]*/)?$", apis.not_found),
]
