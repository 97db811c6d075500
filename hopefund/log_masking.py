"""Secret tokens travel in some paths (a donor's monthly-gift link and
portal sign-in link, receipt PDF, unsubscribe and invite links, email
verification and password reset):
whoever reads a log line must not be able to follow them. Both places that
write request paths mask them: gunicorn's access log (TokenMaskingLogger,
given to gunicorn with --logger-class) and Django's `django.request`
warnings for 4xx and 5xx answers (MaskTokensFilter, in LOGGING)."""

import logging
import re

from gunicorn.glogging import Logger

MASK = "[token]"
TOKEN_IN_PATH = re.compile(
    r"(/(?:monthly|receipts|unsubscribe|invites|accounts/verify|donor/sign-in)/)[^/?#\s\"]+"
    r"|(/accounts/reset/)[^/?#\s\"]+/[^/?#\s\"]+"
)


def mask_tokens(text: str) -> str:
    """'/monthly/abc.def/?done=1' -> '/monthly/[token]/?done=1'."""
    return TOKEN_IN_PATH.sub(lambda match: (match.group(1) or match.group(2)) + MASK, text)


class TokenMaskingLogger(Logger):
    """gunicorn's logger, with tokens masked wherever the access log can
    print a path: the request line, the path and the referrer."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f", "{referer}i"):
            if isinstance(atoms.get(key), str):
                atoms[key] = mask_tokens(atoms[key])
        return atoms


class MaskTokensFilter(logging.Filter):
    """Masks tokens in a record's message (django.request logs "Not Found:
    /monthly/<token>/" for a link that expired or was revoked)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_tokens(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True
