"""The Celery app. Settings come from Django's settings under the CELERY_ namespace.

Schedules live in the database (django-celery-beat) so administrators can change the times in the
admin without a deploy (P3).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
