"""Pages of coding tasks, under ``/tasks/``."""

from django.urls import path

from annquiz.coding import views

app_name = "coding"

urlpatterns = [
    path("", views.task_list, name="tasks"),
    path("<slug:task_slug>/", views.task_detail, name="task"),
    path("<slug:task_slug>/diagram/", views.network_diagram, name="diagram"),
    path("<slug:task_slug>/compare/", views.submission_compare, name="compare"),
    path(
        "<slug:task_slug>/submissions/<int:submission_id>/",
        views.submission_detail,
        name="submission",
    ),
    path(
        "<slug:task_slug>/submissions/<int:submission_id>/status/",
        views.submission_status,
        name="submission-status",
    ),
]
