import os

from celery import Celery

# Fail closed: whatever serves the public or runs tasks gets production
# settings unless told otherwise (only manage.py defaults to dev).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hopefund.settings.production")

# Delivery (acks late, visibility timeout, fail-fast publishing) and the
# beat sweeps are the CELERY_* settings in hopefund/settings/base.py, chosen
# as docs/architecture.md ("Delivery and sweeps") explains: run a worker
# and one beat process for them to hold.
app = Celery("hopefund")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
