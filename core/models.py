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


class PostalAddress(models.Model):
    """A postal address in the parts receipts print (postal_address_lines)
    and imports and exports name: a donor's, an organisation's."""

    ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "region", "postal_code", "country")

    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True)

    class Meta:
        abstract = True
