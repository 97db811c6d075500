"""The finance team's member, who may see every finance page."""

import pytest
from django.contrib.auth.models import Group

from finance.services.permissions import FINANCE_GROUP
from tests.factories import UserFactory


@pytest.fixture
def finance_user(db):
    user = UserFactory(email="fiona@example.org", first_name="Fiona", last_name="Finance", is_staff=True)
    user.groups.add(Group.objects.get(name=FINANCE_GROUP))
    return user
