import os

from celery import Celery

# Fail closed: whatever serves the public or runs tasks gets production
# settings unless told otherwise (only manage.py defaults to dev).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hopefund.settings.production")

app = Celery("hopefund")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
