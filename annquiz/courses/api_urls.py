"""``/api/v1/`` routes of courses, lessons, questions and answers (in the API's namespace
"api", see ``annquiz/api_urls.py``)."""

from __future__ import annotations

from django.urls import path

from annquiz.courses import apis

urlpatterns = [
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
]
