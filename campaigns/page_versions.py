"""Versions of what the public giving pages show, so a page cached for
anonymous visitors (pages/page_cache.py) is never served after a change
that shows on it.

Each cached page remembers the versions it was drawn from: the site's
(funds, shown on every page), its campaign's content (the campaign, its
teams, fundraisers and updates: names, stories, photos, hiding, joining)
and its own totals (the campaign's, the team's or the fundraiser's
counters and gift wall). A change sets a fresh random token for each
version it touches, after its transaction commits: a reader that drew a
page before the commit stored it under the old token, which no longer
matches, and a reader that saw the new token reads the committed rows.
Gifts touch only the totals of their own scopes, so a gift to one
fundraiser leaves the other 4,999 pages cached.

Redis down: a bump is lost (fail open; pages cached before it expire
within pages.page_cache.MAX_AGE_SECONDS), and readers render afresh."""

import uuid

from django.db import transaction

from core import shared_cache

SITE = "pages:v:site"
# How long a version outlives its last use; a lost version only makes the
# pages that used it render afresh.
VERSION_TIMEOUT_SECONDS = 7 * 24 * 3600


def content(campaign_id: int) -> str:
    return f"pages:v:content:{campaign_id}"


def totals(campaign_id: int, team_id: int | None = None, fundraiser_id: int | None = None) -> str:
    if fundraiser_id is not None:
        return f"pages:v:totals:f{fundraiser_id}"
    if team_id is not None:
        return f"pages:v:totals:t{team_id}"
    return f"pages:v:totals:c{campaign_id}"


def bump(*keys: str) -> None:
    """Give each version a new token once the current transaction commits
    (at once outside one)."""
    if keys:
        fresh = {key: uuid.uuid4().hex for key in keys}
        transaction.on_commit(
            lambda: shared_cache.set_many(fresh, timeout=VERSION_TIMEOUT_SECONDS, when_down=None), robust=True
        )


def bump_content(campaign_ids) -> None:
    bump(*(content(campaign_id) for campaign_id in set(campaign_ids)))


def current(keys: list[str]) -> dict[str, str] | None:
    """The tokens of `keys`, giving a token to any that has none (first use,
    or evicted), or None when Redis cannot be reached."""
    found = shared_cache.get_many(keys, when_down=None)
    if found is None:
        return None
    missing = [key for key in keys if key not in found]
    for key in missing:
        shared_cache.add(key, uuid.uuid4().hex, timeout=VERSION_TIMEOUT_SECONDS, when_down=None)
    if missing:
        found = shared_cache.get_many(keys, when_down=None)
        if found is None or len(found) != len(keys):
            return None
    return found
