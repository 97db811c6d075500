"""People around a team: its captain, a member with a fundraiser page, a
donor with an account, another team's captain, and staff."""

import pytest

from tests.factories import FundraiserFactory, TeamFactory, UserFactory


@pytest.fixture
def captain(team):
    user = UserFactory(email="casey@example.org", first_name="Casey", last_name="Captain")
    team.captains.add(user)
    return user


@pytest.fixture
def member(fundraiser):
    """The owner of the `fundraiser` page on `team`."""
    user = UserFactory(email="ada.owner@example.org", first_name="Ada", last_name="Owner")
    fundraiser.owner = user
    fundraiser.save()
    return user


@pytest.fixture
def donor_account(db):
    return UserFactory(email="dana@example.org", first_name="Dana", last_name="Donor")


@pytest.fixture
def other_team(campaign):
    return TeamFactory(campaign=campaign, slug="chicago-chapter", name="Chicago Chapter")


@pytest.fixture
def other_captain(other_team):
    user = UserFactory(email="otto@example.org", first_name="Otto", last_name="Other")
    other_team.captains.add(user)
    return user


@pytest.fixture
def other_fundraiser(other_team):
    return FundraiserFactory(campaign=other_team.campaign, team=other_team, slug="sam-ortiz", name="Sam wears a tie")


@pytest.fixture
def staff(db):
    return UserFactory(email="staff@example.org", first_name="Stella", last_name="Staff", is_staff=True)
