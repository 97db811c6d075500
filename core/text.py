"""Text PostgreSQL can store. Two kinds of character reach Python but not
the database: NUL (U+0000), which no PostgreSQL text or jsonb value may
hold, and lone surrogates (U+D800-U+DFFF without their pair, e.g. JSON's
"\\ud800"), which have no UTF-8 encoding. Either one, written or even used
in a query, raises from the driver: a 500, and for a webhook a 500 that
Stripe retries for days."""

import re

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

# What a form tells whoever sent such a value.
UNSTORABLE_MESSAGE = "Contains a character we cannot store (a NUL or an unpaired surrogate such as \\ud800)."

# Unicode's own stand-in for a character that could not be represented.
REPLACEMENT_CHARACTER = "\ufffd"


def is_storable(text: str) -> bool:
    return UNSTORABLE.search(text) is None


def storable_json(value):
    """`value` (decoded JSON) with every NUL and lone surrogate in its
    strings and keys replaced by U+FFFD, so PostgreSQL can store it. The
    caller bounds its depth (this recurses once per level)."""
    if isinstance(value, str):
        return UNSTORABLE.sub(REPLACEMENT_CHARACTER, value)
    if isinstance(value, dict):
        return {storable_json(key): storable_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [storable_json(item) for item in value]
    return value
