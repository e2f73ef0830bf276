"""The Celery app. Configuration comes from Django settings under the ``CELERY_`` namespace."""

import os

from celery import Celery

from annquiz.core.worker_presence import HeartbeatStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annquiz.settings")

app = Celery("annquiz")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Every worker records its presence in Redis, for /healthz and the grading-queue views.
app.steps["worker"].add(HeartbeatStep)
