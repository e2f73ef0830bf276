"""``/api/v1/`` routes of coding tasks (in the API's namespace "api", see
``annquiz/api_urls.py``)."""

from django.urls import path

from annquiz.coding import apis

urlpatterns = [
    path("v1/tasks/", apis.TaskListApi.as_view(), name="task-list"),
    path("v1/tasks/<slug:slug>/", apis.TaskDetailApi.as_view(), name="task-detail"),
    path("v1/tasks/<slug:slug>/validate/", apis.TaskValidateApi.as_view(), name="task-validate"),
    path(
        "v1/tasks/<slug:slug>/submissions/",
        apis.TaskSubmissionsApi.as_view(),
        name="task-submissions",
    ),
    path(
        "v1/submissions/<int:submission_id>/",
        apis.SubmissionDetailApi.as_view(),
        name="submission-detail",
    ),
]
