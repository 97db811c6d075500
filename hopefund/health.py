"""GET /healthz: can this process reach what a gift needs?"""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from hopefund.celery import app as celery_app

BROKER_TIMEOUT_SECONDS = 2


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # any failure means "down"; the reason is reported
        return f"down: {type(exc).__name__}"


def _broker_status() -> str:
    try:
        with celery_app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
        return "ok"
    except Exception as exc:
        return f"down: {type(exc).__name__}"


@require_GET
def healthz(request):
    checks = {"database": _database_status(), "broker": _broker_status()}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(checks, status=200 if healthy else 503)
