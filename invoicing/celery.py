"""The Celery application: Redis broker, tasks discovered in every app's ``tasks.py``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invoicing.settings")

app = Celery("invoicing")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
