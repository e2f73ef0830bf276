"""URLs of the REST API (mounted at ``/api/``, namespace "api"): each app's ``v1/...``
routes, the OpenAPI schema and its docs.

Anything else under ``/api/`` (a non-numeric id, an unknown path) is a 404 in the API's JSON
error shape, not the site's HTML page.
"""

from __future__ import annotations

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from annquiz.accounts.apis import AuthTokenApi
from annquiz.core.api_errors import not_found

app_name = "api"

urlpatterns = [
    path("v1/auth/token/", AuthTokenApi.as_view(), name="auth-token"),
    path("", include("annquiz.courses.api_urls")),
    path("", include("annquiz.coding.api_urls")),
    path("", include("annquiz.enrolment.api_urls")),
    path("", include("annquiz.review.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    # Only paths ending in "/", so that CommonMiddleware still adds a missing slash.
    re_path(r"^(?:[\s\S]*/)?$", not_found),
]
