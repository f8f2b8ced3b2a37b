"""The project package and the billing app (backlog, pro-forma invoices, runs, documents)."""

from .celery import app as celery_app

__all__ = ["celery_app"]
