from django.urls import path

from annquiz.core import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon),
]
