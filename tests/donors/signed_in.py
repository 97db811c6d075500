"""A test client signed in to the donor portal as a donor, as following
their emailed sign-in link would leave it (donors.session.sign_in)."""

import time

from donors.session import SESSION_KEY


def sign_in_donor(client, donor) -> None:
    session = client.session
    session[SESSION_KEY] = {"donor": donor.pk, "seen": int(time.time())}
    session.save()
