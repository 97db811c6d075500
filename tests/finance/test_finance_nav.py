"""The finance section's navigation shows each person the pages they may
open, and the site header leads finance staff to it."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from finance.services.permissions import FINANCE_GROUP
from tests import factories
from tests.auth import log_in

pytestmark = pytest.mark.django_db

SECTIONS = {
    "Overview": "/finance/",
    "Export": "/finance/export/",
    "Offline gifts": "/finance/imports/",
    "Payouts": "/finance/payouts/",
    "Moves": "/finance/moves/",
}


def finance_links(html: str) -> set[str]:
    nav = html.split('<nav class="finance-nav"', 1)[1].split("</nav>", 1)[0]
    return {name for name, path in SECTIONS.items() if f'href="{path}"' in nav}


def test_finance_staff_see_every_finance_section_with_the_current_one_marked(client):
    user = factories.UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=FINANCE_GROUP))
    log_in(client, user)

    html = client.get(reverse("finance:payouts")).content.decode()

    assert finance_links(html) == set(SECTIONS)
    assert '<a href="/finance/payouts/" aria-current="page">Payouts</a>' in html
    assert f'<a href="{reverse("finance:overview")}">Finance</a>' in html


def test_someone_who_may_only_export_sees_only_the_export_in_the_section_and_header(client):
    user = factories.UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="export_gifts"))
    log_in(client, user)

    html = client.get(reverse("finance:export")).content.decode()

    assert finance_links(html) == {"Export"}
    assert f'<a href="{reverse("finance:export")}">Finance</a>' in html


def test_a_team_captain_gets_no_finance_link_in_the_header(client, team):
    captain = factories.UserFactory()
    team.captains.add(captain)
    log_in(client, captain)

    html = client.get(reverse("my-pages")).content.decode()

    assert "/finance/" not in html
