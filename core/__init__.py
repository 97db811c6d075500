"""The bottom layer: plain building blocks every app may use (money,
typed environment variables, rate limits, progress bars, the read-only
admin base, tasks queued after a commit even while the broker is down).
Nothing here imports a Hopefund app."""
