"""core.captcha.verify_challenge against a stand-in for the provider's
siteverify endpoint: a passed token is True, anything else (a refused
token, an error, no answer in time, no provider) is False."""

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ImproperlyConfigured

from core import captcha


@pytest.fixture
def siteverify(settings, monkeypatch):
    """A local siteverify for Turnstile: `answer` is what it replies with
    (None: it never answers in time); `received` what it was sent."""
    settings.CAPTCHA_PROVIDER = "turnstile"
    settings.CAPTCHA_SITE_KEY = "site-key"
    settings.CAPTCHA_SECRET_KEY = "secret-key"
    state = {"answer": {"success": True}, "received": []}
    stop = threading.Event()

    class Siteverify(BaseHTTPRequestHandler):
        def do_POST(self):
            form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
            state["received"].append({name: values[0] for name, values in form.items()})
            if state["answer"] is None:
                stop.wait(5)
                return
            body = json.dumps(state["answer"]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Siteverify)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setitem(captcha.SITEVERIFY_URLS, "turnstile", f"http://127.0.0.1:{server.server_address[1]}/")
    yield state
    stop.set()
    server.shutdown()
    server.server_close()


def test_a_token_the_provider_accepts_passes_and_is_sent_with_our_secret_and_the_clients_address(siteverify):
    assert captcha.verify_challenge("token-1", "203.0.113.5") is True
    assert siteverify["received"] == [{"secret": "secret-key", "response": "token-1", "remoteip": "203.0.113.5"}]


@pytest.mark.parametrize(
    "answer", [{"success": False, "error-codes": ["invalid-input-response"]}, {"success": "true"}, ["not", "an object"]]
)
def test_a_token_the_provider_does_not_accept_fails(siteverify, answer):
    siteverify["answer"] = answer

    assert captcha.verify_challenge("token-1", "203.0.113.5") is False


def test_a_provider_that_does_not_answer_in_time_fails_closed(siteverify, monkeypatch):
    monkeypatch.setattr(captcha, "VERIFY_TIMEOUT_SECONDS", 0.2)
    siteverify["answer"] = None

    assert captcha.verify_challenge("token-1", "203.0.113.5") is False


def test_a_provider_out_of_reach_fails_closed(siteverify, monkeypatch):
    monkeypatch.setitem(captcha.SITEVERIFY_URLS, "turnstile", "http://127.0.0.1:9/")

    assert captcha.verify_challenge("token-1", "203.0.113.5") is False


def test_no_token_or_no_provider_fails_without_asking_anyone(siteverify, settings):
    assert captcha.verify_challenge("", "203.0.113.5") is False
    settings.CAPTCHA_PROVIDER = ""
    assert captcha.verify_challenge("token-1", "203.0.113.5") is False
    assert siteverify["received"] == []


@pytest.mark.parametrize(
    "provider, site_key, secret_key, problem",
    [
        ("recaptcha", "k", "s", "turnstile or hcaptcha"),
        ("hcaptcha", "", "s", "CAPTCHA_SITE_KEY"),
        ("turnstile", "k", "", "CAPTCHA_SECRET_KEY"),
    ],
)
def test_an_unknown_provider_or_a_provider_without_keys_refuses_to_start(provider, site_key, secret_key, problem):
    with pytest.raises(ImproperlyConfigured, match=problem):
        captcha.check_configuration(provider=provider, site_key=site_key, secret_key=secret_key)


def test_no_provider_needs_no_keys():
    captcha.check_configuration(provider="", site_key="", secret_key="")
