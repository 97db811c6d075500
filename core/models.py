from django.db import models


class ParkedTask(models.Model):
    """A task that could not be queued because the broker was down when its
    transaction committed (core/task_queue.py). The `requeue-parked-tasks`
    beat entry queues it again within seconds of the broker's return."""

    task = models.CharField(max_length=200, help_text="The Celery task's name.")
    args = models.JSONField(default=list)
    parked_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"
