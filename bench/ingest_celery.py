"""The Celery app of bench.ingest's workers: Hopefund's own, with the tasks
that follow a paid gift (its receipt's send, Stripe's fee) routed to
queues no benchmark worker consumes (the tasks that queue many of them,
receipts.tasks.send_emails and donations.tasks.record_processing_fees,
run). The benchmark measures gifts up to their receipts' sends and fee
lookups being queued, and counts those queues to prove each was queued
exactly once; sending them is bench.receipts' part."""

from hopefund.celery import app

FOLLOW_UP_QUEUES = {
    "receipts.tasks.send_email": "bench-receipts",
    "donations.tasks.record_processing_fee": "bench-fees",
}

app.conf.task_routes = {name: {"queue": queue} for name, queue in FOLLOW_UP_QUEUES.items()}
