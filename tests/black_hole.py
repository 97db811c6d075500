"""A dependency that has stalled: a TCP port that takes every connection
and never answers, as a database or broker does when it hangs (or when the
network in front of it drops everything)."""

import socket
from contextlib import contextmanager


@contextmanager
def black_hole():
    """Yields the port. Nothing ever accepts: the kernel completes the
    handshakes by itself (up to the backlog), so clients connect, send and
    wait. On exit the pending connections are reset and their clients fail
    at once."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        yield listener.getsockname()[1]
