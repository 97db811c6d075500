"""Tokens in paths never reach the logs: gunicorn's access log and Django's
request warnings print them masked."""

import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from hopefund.log_masking import mask_tokens
from tests.conftest import ROOT, free_port


@pytest.mark.parametrize(
    ("path", "masked"),
    [
        ("/monthly/eyJwbGFu:1tA2:x_y/", "/monthly/[token]/"),
        ("/monthly/abc/?done=changed", "/monthly/[token]/?done=changed"),
        ("/receipts/4f9c2e/pdf/", "/receipts/[token]/pdf/"),
        ("/unsubscribe/Zq-81/", "/unsubscribe/[token]/"),
        ("/invites/s3cret/", "/invites/[token]/"),
        ("/accounts/verify/a1:b2/", "/accounts/verify/[token]/"),
        ("/accounts/reset/MQ/cd3-4ef/", "/accounts/reset/[token]/"),
        ("/donor/sign-in/0f1e2d.aB-c_d/", "/donor/sign-in/[token]/"),
        ("GET /monthly/abc/ HTTP/1.1", "GET /monthly/[token]/ HTTP/1.1"),
    ],
)
def test_every_path_that_carries_a_token_is_masked(path, masked):
    assert mask_tokens(path) == masked


@pytest.mark.parametrize(
    "path", ["/campaigns/dressember-2026/", "/accounts/verify/", "/api/donations/", "/donor/sign-in/?next=/donor/"]
)
def test_paths_without_a_token_are_left_alone(path):
    assert mask_tokens(path) == path


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_gunicorns_access_log_masks_the_token_in_the_request_line_and_the_referrer():
    port = free_port()
    # The production configuration (gunicorn.conf.py, read from the working
    # directory) is what chooses the masking logger.
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hopefund.settings.test",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "hopefund.wsgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_port(port)
        # Paths that match no view: nothing but the log line is at stake.
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/monthly/SECRET-PLAN-LINK/gone/",
            headers={"Referer": f"http://127.0.0.1:{port}/unsubscribe/SECRET-UNSUBSCRIBE/"},
        )
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(request, timeout=10)
    finally:
        server.terminate()
        log, _ = server.communicate(timeout=30)

    access_line = next(line for line in log.splitlines() if '"GET /monthly/' in line)
    assert "/monthly/[token]/gone/" in access_line
    assert "/unsubscribe/[token]/" in access_line
    assert "SECRET" not in log


@pytest.mark.django_db
def test_djangos_warning_for_a_dead_link_names_the_path_without_its_token(client, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/monthly/SECRET-PLAN-LINK/")

    assert response.status_code == 404
    assert "Not Found: /monthly/[token]/" in caplog.messages
    assert "SECRET" not in caplog.text
