"""Forms for the pages supporters and captains write: every limit a page
must meet before a service is called."""

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator
from django.utils.text import slugify

from campaigns.models import MAX_GOAL_MINOR, Campaign
from campaigns.services import PageDetails, Refused
from core.images import IMAGE_MAX_BYTES, MetadataFreeImageField
from core.money import CURRENCIES

STORY_MAX_LENGTH = 5000


def add_refusal(form: forms.Form, refusal: Refused) -> None:
    """Show a service's refusal on the form: on its field, or on top."""
    form.add_error(refusal.field if refusal.field in form.fields else None, str(refusal))


class PageForm(forms.Form):
    """A team's or fundraiser's name, story and goal, in the campaign's
    currency; with `with_address`, also the page's address (slug)."""

    name = forms.CharField(label="Title", max_length=120)
    slug = forms.SlugField(
        label="Page address",
        max_length=80,
        required=False,
        help_text="Letters, numbers and hyphens, e.g. ada-runs. Leave empty to make one from the title.",
    )
    story = forms.CharField(label="Your story", max_length=STORY_MAX_LENGTH, required=False, widget=forms.Textarea)
    goal = forms.DecimalField(label="Goal", min_value=Decimal(0), decimal_places=2, max_digits=15)

    def __init__(self, *args, campaign: Campaign, with_address: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.exponent = CURRENCIES[campaign.currency].exponent
        most = Decimal(MAX_GOAL_MINOR).scaleb(-self.exponent)
        self.fields["goal"].label = f"Goal ({campaign.currency.upper()})"
        self.fields["goal"].validators.append(
            MaxValueValidator(most, message=f"A goal can be at most {most:,.0f}; is that a typo?")
        )
        if not with_address:
            del self.fields["slug"]

    def clean(self):
        data = super().clean()
        if "slug" in self.fields and "slug" not in self.errors:
            data["slug"] = data.get("slug") or slugify(data.get("name", ""))[:80].strip("-")
            if not data["slug"] and "name" in data:
                self.add_error("slug", "Choose an address made of letters, numbers and hyphens.")
        return data

    def details(self, **extra) -> PageDetails:
        data = self.cleaned_data
        return PageDetails(
            name=data["name"],
            story=data["story"],
            goal_minor=int(data["goal"].scaleb(self.exponent)),
            slug=data.get("slug", ""),
            **extra,
        )

    @staticmethod
    def goal_initial(goal_minor: int, currency: str) -> Decimal:
        return Decimal(goal_minor).scaleb(-CURRENCIES[currency].exponent)


class PhotoPageForm(PageForm):
    """A PageForm with an optional photo; `editing` an existing page fixes
    its address and lets its photo be removed."""

    # Re-encoded without its EXIF (GPS included) before anything stores it.
    photo = MetadataFreeImageField(
        required=False, max_bytes=IMAGE_MAX_BYTES, help_text="Optional. A JPEG, PNG or WebP image of at most 5 MB."
    )
    remove_photo = forms.BooleanField(label="Remove the photo", required=False)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, with_address=not editing, **kwargs)
        if not editing:
            del self.fields["remove_photo"]

    def details(self, **extra) -> PageDetails:
        return super().details(photo=self.cleaned_data.get("photo"), **extra)


class TeamForm(PhotoPageForm):
    """A team's page as its captains edit it: a PhotoPageForm with the
    organisation whose team it is, if any."""

    organization = forms.CharField(
        label="Organisation (optional)",
        max_length=200,
        required=False,
        help_text="The church, school or company whose team this is. Leave empty for none.",
    )


class FundraiserForm(PhotoPageForm):
    """A personal page: a PhotoPageForm with an optional team."""

    team = forms.ChoiceField(label="Team (optional)", required=False)

    def __init__(self, *args, teams=(), editing: bool = False, **kwargs):
        super().__init__(*args, editing=editing, **kwargs)
        self.teams = {str(team.pk): team for team in teams}
        self.fields["team"].choices = [("", "No team")] + [(pk, team.name) for pk, team in self.teams.items()]
        if editing or not self.teams:
            del self.fields["team"]

    def chosen_team(self):
        return self.teams.get(self.cleaned_data.get("team") or "")


class InviteForm(forms.Form):
    email = forms.EmailField(label="Their email", max_length=254)


class CoCaptainForm(forms.Form):
    user = forms.ChoiceField(label="Team member")

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.members = {str(user.pk): user for user in members}
        self.fields["user"].choices = [(pk, user.get_full_name() or user.username) for pk, user in self.members.items()]

    def chosen(self):
        return self.members[self.cleaned_data["user"]]


class UpdateForm(forms.Form):
    title = forms.CharField(max_length=120)
    body = forms.CharField(label="Update", max_length=STORY_MAX_LENGTH, widget=forms.Textarea)
