"""The words a donor is shown when they choose whether to get impact
updates, in one place: the pages that ask read them from here, and each
UpdateConsent stores the words of the choice it records (as the Gift Aid
declaration stores its wording, donations/gift_aid.py).

Changing a wording changes what new records say; records already written
keep the words the donor saw."""

# The donate form's box (templates/campaigns/giving_page.html). It starts
# unticked: consent is asked, never assumed, and leaving it unticked is
# the simple chance to refuse at collection that PECR's soft opt-in needs.
DONATE_FORM = "Email me updates on what my gift achieves (each one has a link to stop them)"
DONATE_FORM_REFUSAL = "Leave it unticked and we send none."

# The API's `email_updates` field, as its description in
# hopefund/openapi.json (and docs/contract.md) documents it: a client
# other than our donate form shows its own words, and what we can record
# is the meaning the client agreed to put before the donor.
API_MEANING = (
    "Whether the donor wants impact updates by email; absent or null is true. "
    "With false they get receipts and statements only."
)
API = f"email_updates (POST /api/donations/): {API_MEANING}"

# The donor portal's choices (templates/donors/preferences.html).
PORTAL_ALL = "Email me impact updates about every fund"
PORTAL_CHOSEN = "Email me impact updates only about the funds I choose"
PORTAL_NONE = "Send me no impact updates"

# The unsubscribe page an update links to (templates/receipts/unsubscribe.html);
# a mail app's one-click unsubscribe (RFC 8058) posts the same form.
UNSUBSCRIBE_LINK = "Stop sending news and impact updates to {email}?"


def portal_wording(*, wants_updates: bool, fund_names: list[str]) -> str:
    """The portal's choice as the donor made it, with the funds' names."""
    if not wants_updates:
        return PORTAL_NONE
    if not fund_names:
        return PORTAL_ALL
    return f"{PORTAL_CHOSEN}: {', '.join(fund_names)}"
