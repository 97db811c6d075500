"""The Celery app with one more task, for tests/test_demo_without_servers.py:
a worker started with `-A tests.filesystem_broker_app` runs it, and the
file it writes says which process did."""

import os
from pathlib import Path

from hopefund.celery import app


@app.task(name="tests.write_which_process_ran_me")
def write_which_process_ran_me(path: str) -> None:
    Path(path).write_text(str(os.getpid()))
