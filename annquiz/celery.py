"""The Celery app. Configuration comes from Django settings under the ``CELERY_`` namespace."""

import os

from celery import Celery

from annquiz.core.worker_presence import HeartbeatStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annquiz.settings")
# NumPy's BLAS (OpenBLAS) would start one thread per core in every process, before NumPy is
# first imported. Worker processes already take every core between them, and their BLAS
# threads then wait on one another: a NumPy judging with 512-unit layers took 7x the CPU time
# and 5x the wall time on a busy 2-core machine (14.9 s of CPU against 2.2 s). One BLAS
# thread per process, unless the environment says otherwise.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

app = Celery("annquiz")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Every worker records its presence in Redis, for /healthz and the grading-queue views.
app.steps["worker"].add(HeartbeatStep)
