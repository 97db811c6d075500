import factory

from campaigns.models import Campaign, Fund, Fundraiser, Team


class FundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fund
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"fund-{n}")
    name = factory.Sequence(lambda n: f"Fund {n}")


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    slug = factory.Sequence(lambda n: f"campaign-{n}")
    title = factory.Sequence(lambda n: f"Campaign {n}")
    story = "Wear a dress, end trafficking."
    goal_minor = 250_000_00
    currency = "usd"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    campaign = factory.SubFactory(CampaignFactory)
    slug = factory.Sequence(lambda n: f"team-{n}")
    name = factory.Sequence(lambda n: f"Team {n}")
    goal_minor = 10_000_00


class FundraiserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fundraiser

    campaign = factory.SubFactory(CampaignFactory)
    slug = factory.Sequence(lambda n: f"fundraiser-{n}")
    name = factory.Sequence(lambda n: f"Fundraiser {n}")
    goal_minor = 1_000_00


class UserFactory(factory.django.DjangoModelFactory):
    """A person with an account: username is the lower-cased email, as
    accounts.services.register makes it."""

    class Meta:
        model = "accounts.User"
        django_get_or_create = ("username",)

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    username = factory.LazyAttribute(lambda user: user.email.lower())
    first_name = factory.Sequence(lambda n: f"Person{n}")
    last_name = "Example"
    password = factory.django.Password("a-long-test-passphrase")
