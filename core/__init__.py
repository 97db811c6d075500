"""The bottom layer: plain building blocks every app may use (money,
typed environment variables, rate limits, progress bars, the read-only
admin base). Nothing here imports a Hopefund app."""
