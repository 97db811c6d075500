"""The reliability suite: the real stack (tests/reliability/services.py),
broken on purpose, then audited (tests/reliability/audit.py). Each fault
adds a row to the table printed at the end of the run."""

import time

import pytest

from tests.reliability.audit import Audit, audit
from tests.reliability.services import Stack

AUDITS: list[Audit] = []


@pytest.fixture
def stack_environment() -> dict[str, str]:
    """More environment for every process of the stack; a module overrides
    this to point the stack at something of its own (an email provider)."""
    return {}


@pytest.fixture
def stack(localstripe_url, tmp_path, campaign, stack_environment):
    """Redis, gunicorn, a worker and beat on this test's database, with the
    demo's campaign. The test process itself keeps its own Redis and talks
    to the database directly, so a fault only reaches the stack."""
    running = Stack(workdir=tmp_path, localstripe_url=localstripe_url, **stack_environment)
    try:
        running.start()
        yield running
    except BaseException:
        print(running.logs())
        raise
    finally:
        running.stop()


@pytest.fixture
def settle(stack, request):
    """Wait until the stack has made good everything (the audit is exact),
    at most `within` seconds after `since`; record the row either way."""

    def wait(*, fault: str, attempted: int, since: float, within: float, server_errors: int | None = None) -> Audit:
        deadline = since + within
        while True:
            result = audit(fault=fault, attempted=attempted, mail_dir=stack.mail_dir)
            settled = not result.problems
            if settled or time.monotonic() > deadline:
                result.recovery_seconds = time.monotonic() - since if settled else None
                result.server_errors = server_errors
                AUDITS.append(result)
                if not settled:
                    print(stack.logs())
                return result
            time.sleep(1)

    return wait


def pytest_terminal_summary(terminalreporter):
    if not AUDITS:
        return
    header = ("fault", "attempted", "recorded", "charged", "receipts sent", "duplicates", "lost", "5xx", "recovered in")
    rows = [
        (
            row.fault,
            row.attempted,
            row.recorded,
            row.charged,
            row.receipts_sent,
            row.duplicates,
            row.lost,
            "-" if row.server_errors is None else row.server_errors,
            "not recovered" if row.recovery_seconds is None else f"{row.recovery_seconds:.0f} s",
        )
        for row in AUDITS
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    terminalreporter.section("reliability: faults and what they left")
    for line in (header, *rows):
        cells = (str(cell).ljust(width) for cell, width in zip(line, widths, strict=True))
        terminalreporter.write_line(" | ".join(cells))
