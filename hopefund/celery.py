import os

from celery import Celery
from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections

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


@task_prerun.connect
@task_postrun.connect
def close_unusable_database_connections(task=None, **_signal):
    """What Django does around each request, around each task: drop a
    connection that errored and no longer answers, or outlived
    CONN_MAX_AGE, and health-check the kept one on its next use. With
    CELERY_DB_REUSE_MAX, Celery's own fixup closes connections only every
    200 tasks, so a connection PostgreSQL dropped would fail every task
    of its pool process until then. Not for eager tasks: they run inside
    the caller's transaction."""
    if task is not None and task.request.is_eager:
        return
    close_old_connections()
