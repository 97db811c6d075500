"""A local HTTP proxy in front of localstripe that holds every call for a
fixed delay before forwarding it, as real Stripe's 300 ms or more a call
would: the gift benchmark points gunicorn and the worker at it
(STRIPE_API_BASE) to show what waiting on Stripe costs.

One thread per client connection (the SDK keeps its connections alive),
each with its own keep-alive connection to localstripe; bodies and headers
go through unchanged, hop-by-hop headers aside."""

import argparse
import http.client
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# Headers about one connection, not the request (RFC 9110, 7.6.1).
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}


class QuietServer(ThreadingHTTPServer):
    # socketserver's default backlog of 5 drops connections from a burst
    # of clients, which then wait a second for TCP to try again.
    request_queue_size = 256

    def handle_error(self, request, client_address):
        # A client that hung up (a worker stopped mid-call) is no error of ours.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class LatencyProxy:
    def __init__(self, upstream: str, *, delay_seconds: float, port: int = 0):
        target = urlsplit(upstream)
        self.upstream = (target.hostname, target.port)
        self.delay_seconds = delay_seconds
        self.server = QuietServer(("127.0.0.1", port), self._handler())
        self.server.daemon_threads = True

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Stripe's API

            def log_message(self, *args):
                pass

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {name: value for name, value in self.headers.items() if name.lower() not in HOP_BY_HOP}
                time.sleep(proxy.delay_seconds)
                status, reason, answer_headers, answer = self._ask_upstream(body, headers)
                self.send_response(status, reason)
                for name, value in answer_headers:
                    if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def _ask_upstream(self, body, headers):
                # One connection to localstripe per client connection; not
                # retried on an error, so a request is never sent twice.
                if getattr(self, "upstream", None) is None:
                    self.upstream = http.client.HTTPConnection(*proxy.upstream, timeout=30)
                try:
                    self.upstream.request(self.command, self.path, body=body, headers=headers)
                    reply = self.upstream.getresponse()
                    return reply.status, reply.reason, reply.getheaders(), reply.read()
                except (http.client.HTTPException, OSError):
                    self.upstream.close()
                    self.upstream = None
                    raise

            do_GET = do_POST = do_DELETE = _forward

        return Handler


def main() -> None:
    """Run in a process of its own, so that its threads do not share an
    interpreter lock with the benchmark's clients."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--delay-ms", type=int, default=300)
    parser.add_argument("--port", type=int, required=True)
    options = parser.parse_args()
    proxy = LatencyProxy(options.upstream, delay_seconds=options.delay_ms / 1000, port=options.port)
    proxy.server.serve_forever()


if __name__ == "__main__":
    main()
