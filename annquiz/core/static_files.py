"""Where static files are served from, for HTML rendered ahead of any request."""

from __future__ import annotations

from django.conf import settings


def static_prefix() -> str:
    """The static files URL prefix for rendered content, always absolute."""
    url = str(settings.STATIC_URL)
    return url if url.startswith(("/", "http://", "https://")) else f"/{url}"
