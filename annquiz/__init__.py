"""annquiz: lessons, checkpoint questions and graded network-training tasks."""

from annquiz.celery import app as celery_app

__all__ = ("celery_app",)
