from celery import shared_task


@shared_task
def requeue_parked_tasks() -> int:
    """Beat, every few seconds: tasks parked while the broker was down."""
    from core import task_queue

    return task_queue.requeue_parked()
