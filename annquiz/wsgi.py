"""WSGI entry point (``gunicorn annquiz.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annquiz.settings")

application = get_wsgi_application()
