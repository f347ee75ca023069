"""The Celery application. Tasks live in each Django app's tasks.py and are autodiscovered."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cobrowse_admin.settings")

app = Celery("cobrowse_admin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
