"""Service-level views: the health check, the favicon and the home page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from annquiz.core import health
from annquiz.core.processes import MAINTENANCE_QUEUES


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Each part of the service, "ok" or "down": 503 when the web side cannot serve (the
    database or the broker is down). Judging workers ("workers") or the sweeper's worker
    ("maintenance") being down leaves the lessons servable, so they are reported with a 200;
    both are "unknown" while the broker, which holds their heartbeats, is down."""
    database = health.check_database()
    broker = health.check_broker()
    status = {
        "database": "ok" if database else "down",
        "broker": "ok" if broker else "down",
        "workers": health.check_workers(health.JUDGING_QUEUES) if broker else "unknown",
        "maintenance": health.check_workers(MAINTENANCE_QUEUES) if broker else "unknown",
    }
    return JsonResponse(status, status=200 if database and broker else 503)


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico of pages that name no icon (the API's JSON, for one): the
    site's icon is a static file. Its address is looked up per request, not at import, because
    the manifest storage knows it only after collectstatic."""
    return redirect(static("favicon.svg"), permanent=True)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """A logged-in student goes to the course list; a visitor reads what annquiz is, with the
    links to log in and sign up. The welcome page is also the home without a courses app."""
    if request.user.is_authenticated:
        try:
            return redirect(reverse("courses:course-list"))
        except NoReverseMatch:
            pass
    return render(request, "core/home.html")
