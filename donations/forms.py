"""Validation of POST /api/donations/: every rule a gift request must meet
before anything is written or Stripe is called."""

from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone

from campaigns import selectors as campaign_selectors
from core import countries
from core.money import CURRENCIES, format_money
from core.text import UNSTORABLE_MESSAGE, is_storable
from donations import gift_aid, rules
from donations.models import DEDICATION_NAME_MAX, DedicationKind, Donation
from donations.services.allocations import Part
from donations.services.gifts import NO_DEDICATION, Dedication, DonorDetails, GiftRequest
from donations.services.organizations import OrganizationDetails

# A field the donate form hides from people; bots that fill every field fill it.
HONEYPOT_FIELD = "website"


class JsonIntegerField(forms.IntegerField):
    """A JSON number that is a whole number: not a string, float or bool."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise forms.ValidationError("Enter a whole number of minor units (5000 for 50.00).", code="invalid")
        return value


class JsonBooleanField(forms.Field):
    """true or false; absent means `absent` (false unless said)."""

    def __init__(self, *, absent: bool = False, **kwargs):
        super().__init__(required=False, **kwargs)
        self.absent = absent

    def to_python(self, value):
        if value is None:
            return self.absent
        if not isinstance(value, bool):
            raise forms.ValidationError("Must be true or false.", code="invalid")
        return value


class JsonCharField(forms.CharField):
    """A JSON string (not a number or an object), trimmed, that PostgreSQL
    can store and be queried with (core.text): JSON can spell a NUL or a
    lone surrogate, and either would be a 500 at the first query."""

    def to_python(self, value):
        if value is not None and not isinstance(value, str):
            raise forms.ValidationError("Must be a string.", code="invalid")
        if value and not is_storable(value):
            raise forms.ValidationError(UNSTORABLE_MESSAGE, code="unstorable")
        return super().to_python(value)


class JsonEmailField(JsonCharField, forms.EmailField):
    """An email address sent as a JSON string."""


def validate_country_code(value: str) -> None:
    if not rules.is_country_code(value):
        raise forms.ValidationError("Use a two-letter country code such as US.")


def accepted_currency(code: str) -> str:
    """The code lower-cased, as the ledger stores it, if we take it."""
    currency = code.lower()
    if not rules.is_accepted_currency(currency):
        raise forms.ValidationError(f"{currency!r} is not a currency we accept.")
    return currency


class DonorForm(forms.Form):
    email = JsonEmailField(max_length=254)
    first_name = JsonCharField(max_length=100)
    last_name = JsonCharField(max_length=100)


class AddressForm(forms.Form):
    line1 = JsonCharField(max_length=200, required=False)
    line2 = JsonCharField(max_length=200, required=False)
    city = JsonCharField(max_length=100, required=False)
    region = JsonCharField(max_length=100, required=False)
    postal_code = JsonCharField(max_length=20, required=False)
    country = JsonCharField(max_length=2, required=False, validators=[validate_country_code])


class DedicationForm(forms.Form):
    """`dedication` given as an object (see parse_dedication)."""

    KEYS = ("kind", "name", "notify_email")

    kind = forms.ChoiceField(
        choices=DedicationKind.choices,
        error_messages={"invalid_choice": 'Must be "honor" or "memory".', "required": 'Say "honor" or "memory".'},
    )
    name = JsonCharField(max_length=DEDICATION_NAME_MAX, error_messages={"required": "Give the name of the person."})
    notify_email = JsonEmailField(max_length=254, required=False)


def parse_dedication(value) -> tuple[Dedication, dict[str, list[str]]]:
    """`dedication` as the API takes it: absent, null or a string (as it
    always was: printed on the receipt as given), or an object
    {"kind": "honor" | "memory", "name": "...", "notify_email": "..." or
    null}. The dedication, or the errors by field ("dedication",
    "dedication.name"...)."""
    if value is None or isinstance(value, str):
        field = JsonCharField(max_length=200, required=False)
        try:
            text = field.clean(value)
        except forms.ValidationError as error:
            return NO_DEDICATION, {"dedication": list(error.messages)}
        return (Dedication.plain(text) if text else NO_DEDICATION), {}
    if not isinstance(value, dict):
        return NO_DEDICATION, {"dedication": ['Must be a string or an object with "kind", "name" and "notify_email".']}
    unknown = sorted(key for key in value if key not in DedicationForm.KEYS)
    if unknown:
        # Named, but cut short: the keys are the sender's, of any length.
        named = ", ".join(repr(key[:40]) for key in unknown[:3])
        return NO_DEDICATION, {"dedication": [f"Unknown key {named}: a dedication has kind, name and notify_email."]}
    form = DedicationForm(data=value)
    if not form.is_valid():
        return NO_DEDICATION, {f"dedication.{name}": list(messages) for name, messages in form.errors.items()}
    data = form.cleaned_data
    return Dedication.of(kind=data["kind"], name=data["name"], notify_email=data["notify_email"].lower()), {}


class OrganizationForm(forms.Form):
    """`donor.organization` given as an object (see parse_organization)."""

    KEYS = ("name", "address")

    name = JsonCharField(max_length=200, error_messages={"required": "Give the organisation's name."})


def parse_organization(value, *, donor_address: dict) -> tuple[OrganizationDetails | None, dict[str, list[str]]]:
    """`donor.organization` as the API takes it: absent or null (a person's
    own gift), the organisation's name as a string, or an object
    {"name": "...", "address": {line1, line2, city, region, postal_code,
    country}} whose address, if absent, is the donor's (`donor_address`,
    the AddressForm's cleaned data). The organisation, or the errors by
    field ("donor.organization", "donor.organization.address.city"...)."""
    if value is None:
        return None, {}
    if isinstance(value, str):
        value = {"name": value}
    elif not isinstance(value, dict):
        return None, {"donor.organization": ['Must be a name or an object with "name" and "address".']}
    unknown = sorted(key for key in value if key not in OrganizationForm.KEYS)
    if unknown:
        named = ", ".join(repr(key[:40]) for key in unknown[:3])
        return None, {"donor.organization": [f"Unknown key {named}: an organisation has name and address."]}
    errors: dict[str, list[str]] = {}
    form = OrganizationForm(data=value)
    if not form.is_valid():
        errors.update({f"donor.organization.{name}": list(messages) for name, messages in form.errors.items()})
    address = value.get("address")
    if address is not None and not isinstance(address, dict):
        errors["donor.organization.address"] = ["Must be an object."]
    address_form = AddressForm(data=address if isinstance(address, dict) else {})
    if not address_form.is_valid():
        for name, messages in address_form.errors.items():
            errors[f"donor.organization.address.{name}"] = list(messages)
    if errors:
        return None, errors
    where = address_form.cleaned_data if isinstance(address, dict) else donor_address
    return OrganizationDetails(name=form.cleaned_data["name"], **_address_details(where)), {}


def _address_details(where: dict) -> dict[str, str]:
    """The AddressForm's cleaned data as the model's address fields."""
    parts = {"address_line1": "line1", "address_line2": "line2", "city": "city", "region": "region"}
    details = {name: where.get(part, "") for name, part in {**parts, "postal_code": "postal_code"}.items()}
    return {**details, "country": where.get("country", "").upper()}


def gift_aid_errors(*, campaign, address: dict, organization) -> dict[str, list[str]]:
    """Why a gift asking for Gift Aid (`gift_aid: true`) cannot have it, by
    field: the campaign's charity claims no Gift Aid (keyed `gift_aid`), the
    gift is an organisation's (companies pay no income tax to reclaim), or
    the donor's UK home address lacks its street line or a valid postcode
    (HMRC's declaration needs the house name or number and postcode)."""
    if campaign is None:
        return {}
    if not campaign.entity.offers_gift_aid:
        return {"gift_aid": ["This campaign's charity does not claim Gift Aid: only UK charities can."]}
    if organization is not None:
        return {"gift_aid": ["Gift Aid is for gifts from UK taxpayers themselves, not from an organisation."]}
    errors = {}
    if not address.get("line1"):
        errors["donor.address.line1"] = ["Gift Aid needs your home address: give its first line."]
    if not address.get("postal_code"):
        errors["donor.address.postal_code"] = ["Gift Aid needs your home postcode."]
    elif gift_aid.normalised_postcode(address["postal_code"]) is None:
        errors["donor.address.postal_code"] = ["Enter a UK postcode, such as SW1A 1AA."]
    if (address.get("country") or "").upper() != "GB":
        errors["donor.address.country"] = ["Gift Aid needs a UK home address: choose United Kingdom (GB)."]
    return errors


def address_parts_missing(campaign, address: dict) -> dict[str, str]:
    """For a campaign whose receipts need the donor's postal address
    (Campaign.needs_donor_address), each part of `address` (the
    AddressForm's cleaned data) the donor's country needs and that is
    empty, with what to say; nothing for any other campaign (or none: an
    unknown campaign has its own error). A part that failed its own check
    already has its error and is not reported again."""
    if campaign is None or not campaign.needs_donor_address:
        return {}
    country = address.get("country") or ""
    labels = countries.address_labels(country)
    words = {
        "line1": "street address",
        "city": "city or town",
        "region": labels.region.removesuffix(" (optional)").lower().replace("zip", "ZIP"),
        "postal_code": labels.postal_code.lower().replace("zip", "ZIP"),
        "country": "country",
    }
    return {
        part: f"This campaign's tax receipts need your {words[part]}."
        for part in countries.required_address_parts(country)
        if part in address and not address[part]
    }


class AllocationForm(forms.Form):
    """One part of `allocations` (see GiftForm._clean_allocations)."""

    KEYS = ("fund", "amount_minor")

    fund = JsonCharField(max_length=40)
    amount_minor = JsonIntegerField(min_value=1)


class GiftForm(forms.Form):
    campaign = JsonCharField(max_length=80)
    team = JsonCharField(max_length=80, required=False)
    fundraiser = JsonCharField(max_length=80, required=False)
    fund = JsonCharField(max_length=40)
    amount_minor = JsonIntegerField(min_value=1)
    currency = JsonCharField(max_length=3)
    frequency = forms.ChoiceField(choices=Donation.Frequency.choices, required=False)
    cover_fees = JsonBooleanField()
    anonymous = JsonBooleanField()
    email_updates = JsonBooleanField(absent=True)
    gift_aid = JsonBooleanField()
    message = JsonCharField(max_length=500, required=False)
    payment_method = JsonCharField(
        max_length=255,
        validators=[RegexValidator(r"^pm_[A-Za-z0-9_]+$", "Must be a Stripe payment method id (pm_...).")],
    )

    def __init__(self, *args, payment_method_required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payment_method"].required = payment_method_required
        # A split gift names its funds and amounts in `allocations`.
        self.split = self.data.get("allocations") is not None
        self.fields["fund"].required = self.fields["amount_minor"].required = not self.split
        # (field name, errors) of `allocations`, and its parts once valid.
        self.allocation_errors: dict[str, list[str]] = {}
        self.parts: tuple[Part, ...] = ()

    def clean_currency(self):
        return accepted_currency(self.cleaned_data["currency"])

    def clean_frequency(self):
        return self.cleaned_data["frequency"] or Donation.Frequency.ONE_TIME

    def clean(self):
        data = super().clean()
        campaign = self._clean_campaign(data)
        if campaign is None:
            return data
        self._clean_attribution(data, campaign)
        if self.split:
            self._clean_allocations(data, campaign)
        else:
            self._clean_fund(data, campaign)
        self._clean_amount(data, campaign)
        return data

    def _clean_allocations(self, data, campaign):
        """`allocations`: two to five parts, each a fund the campaign offers
        (each once) and an amount of at least the smallest gift. The gift's
        `fund` is then the first part's, and its amount their sum, which an
        `amount_minor` sent as well must equal."""
        value, errors = self.data["allocations"], self.allocation_errors
        if not isinstance(value, list) or not rules.MIN_PARTS <= len(value) <= rules.MAX_PARTS:
            errors["allocations"] = [
                f"Must be a list of {rules.MIN_PARTS} to {rules.MAX_PARTS} parts, "
                'each {"fund": "...", "amount_minor": ...}.'
            ]
            return
        offered = campaign_selectors.funds_offered(campaign)
        limits = rules.amount_limits(campaign.currency, online=True)
        parts, seen = [], set()
        for index, item in enumerate(value):
            prefix = f"allocations.{index}"
            if not isinstance(item, dict) or set(item) - set(AllocationForm.KEYS):
                errors[prefix] = ['Must be an object with "fund" and "amount_minor" only.']
                continue
            form = AllocationForm(data=item)
            if not form.is_valid():
                errors.update({f"{prefix}.{name}": list(messages) for name, messages in form.errors.items()})
                continue
            slug, amount = form.cleaned_data["fund"], form.cleaned_data["amount_minor"]
            fund = rules.offered_fund(campaign, slug, offered=offered)
            if fund is None:
                errors[f"{prefix}.fund"] = [f"This campaign does not offer a fund {slug!r}."]
            elif fund.pk in seen:
                errors[f"{prefix}.fund"] = [f"The fund {slug!r} is named twice; give it one part."]
            if not limits.allow(amount):
                errors[f"{prefix}.amount_minor"] = [f"Each part must be {limits.range_text}."]
            if fund is not None:
                seen.add(fund.pk)
                parts.append(Part(fund, amount))
        if errors:
            return
        total = sum(part.amount_minor for part in parts)
        if data.get("amount_minor") not in (None, total):
            self.add_error("amount_minor", f"Must equal the sum of the allocations ({total}), or be left out.")
            return
        self.parts = tuple(parts)
        data["fund"], data["amount_minor"] = parts[0].fund, total

    def _clean_campaign(self, data):
        if "campaign" not in data:
            return None
        campaign = campaign_selectors.campaign_by_slug(data["campaign"])
        if campaign is None:
            self.add_error("campaign", f"There is no campaign {data['campaign']!r}.")
        elif why := rules.campaign_not_taking_gifts(campaign, online=True):
            if why == "upcoming":
                opens = timezone.localtime(campaign.starts_at).strftime("%B %-d, %Y")
                self.add_error("campaign", f"This campaign opens on {opens} and takes gifts from then.")
            else:
                self.add_error("campaign", "This campaign is closed and no longer takes gifts.")
            campaign = None
        data["campaign"] = campaign
        return campaign

    def _clean_attribution(self, data, campaign):
        team = fundraiser = None
        if data.get("team"):
            team = rules.find_team(campaign, data["team"], include_hidden=False)
            if team is None:
                self.add_error("team", f"This campaign has no team {data['team']!r}.")
        if data.get("fundraiser"):
            fundraiser = rules.find_fundraiser(campaign, data["fundraiser"], include_hidden=False)
            if fundraiser is None:
                self.add_error("fundraiser", f"This campaign has no fundraiser {data['fundraiser']!r}.")
        attribution = rules.attribute(team=team, fundraiser=fundraiser)
        if attribution.fundraiser_not_on_team:
            self.add_error("fundraiser", "This fundraiser is not on that team.")
        data["team"], data["fundraiser"] = attribution.team, attribution.fundraiser

    def _clean_fund(self, data, campaign):
        if "fund" not in data:
            return
        fund = rules.offered_fund(campaign, data["fund"])
        if fund is None:
            self.add_error("fund", f"This campaign does not offer a fund {data['fund']!r}.")
        data["fund"] = fund

    def _clean_amount(self, data, campaign):
        currency, amount = data.get("currency"), data.get("amount_minor")
        if currency is None or amount is None:
            return
        if currency != campaign.currency:
            self.add_error("currency", f"This campaign takes gifts in {campaign.currency.upper()}.")
            return
        limits = rules.amount_limits(currency, online=True)
        if not limits.allow(amount):
            self.add_error("amount_minor", f"Gifts must be {limits.range_text}.")


def parse_gift_request(
    body, *, idempotency_key: str | None, payment_method_required: bool = True
) -> tuple[GiftRequest | None, dict]:
    """A GiftRequest from the decoded JSON body, or the errors by field
    (nested fields as "donor.email", "donor.address.city").
    `payment_method_required=False` checks a gift before its card exists
    (the card form's SetupIntent): `payment_method` may then be absent
    (the request's is ""), but is checked if given."""
    if not isinstance(body, dict):
        return None, {"__all__": ["The request body must be a JSON object."]}
    donor = body.get("donor")
    address = donor.get("address") if isinstance(donor, dict) else None
    errors: dict[str, list[str]] = {}

    gift_form = GiftForm(data=body, payment_method_required=payment_method_required)
    donor_form = DonorForm(data=donor if isinstance(donor, dict) else {})
    address_form = AddressForm(data=address if isinstance(address, dict) else {})
    for prefix, form in (("", gift_form), ("donor.", donor_form), ("donor.address.", address_form)):
        if not form.is_valid():
            for name, messages in form.errors.items():
                errors[prefix + name] = list(messages)
    errors.update(gift_form.allocation_errors)
    dedication, dedication_errors = parse_dedication(body.get("dedication"))
    errors.update(dedication_errors)
    if donor is not None and not isinstance(donor, dict):
        errors["donor"] = ["Must be an object with email, first_name and last_name."]
    organization, organization_errors = parse_organization(
        donor.get("organization") if isinstance(donor, dict) else None, donor_address=address_form.cleaned_data
    )
    errors.update(organization_errors)
    if address is not None and not isinstance(address, dict):
        errors["donor.address"] = ["Must be an object."]
    else:
        missing = address_parts_missing(gift_form.cleaned_data.get("campaign"), address_form.cleaned_data)
        for part, message in missing.items():
            errors.setdefault(f"donor.address.{part}", []).append(message)
    if gift_form.cleaned_data.get("gift_aid"):
        for name, messages in gift_aid_errors(
            campaign=gift_form.cleaned_data.get("campaign"),
            address=address_form.cleaned_data if isinstance(address, dict) else {},
            organization=organization,
        ).items():
            # A part already missing for the receipt is said once.
            if name not in errors:
                errors[name] = messages
    if body.get(HONEYPOT_FIELD):
        # Only bots fill the field people never see (see giving_page.html).
        errors["__all__"] = ["This request looks automated and was refused."]
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 255:
        errors["Idempotency-Key"] = ["Must be between 1 and 255 characters."]
    elif idempotency_key and not is_storable(idempotency_key):
        errors["Idempotency-Key"] = [UNSTORABLE_MESSAGE]
    if errors:
        return None, errors

    gift, who, where = gift_form.cleaned_data, donor_form.cleaned_data, address_form.cleaned_data
    return GiftRequest(
        campaign=gift["campaign"],
        team=gift["team"],
        fundraiser=gift["fundraiser"],
        fund=gift["fund"],
        amount_minor=gift["amount_minor"],
        allocations=gift_form.parts,
        currency=gift["currency"],
        cover_fees=gift["cover_fees"],
        anonymous=gift["anonymous"],
        message=gift["message"],
        dedication=dedication,
        email_updates=gift["email_updates"],
        gift_aid=gift["gift_aid"],
        payment_method=gift["payment_method"],
        frequency=gift["frequency"],
        idempotency_key=idempotency_key,
        donor=DonorDetails(
            email=who["email"], first_name=who["first_name"], last_name=who["last_name"], **_address_details(where)
        ),
        organization=organization,
    ), {}


class FeeCoverForm(forms.Form):
    """GET /api/fee-cover/'s query: a gift the donate form may send."""

    amount_minor = forms.IntegerField(
        min_value=1, error_messages={"invalid": "Enter a whole number of minor units (5000 for 50.00)."}
    )
    currency = forms.CharField(max_length=3)

    def clean_currency(self):
        return accepted_currency(self.cleaned_data["currency"])

    def clean(self):
        data = super().clean()
        if "amount_minor" in data and "currency" in data:
            limits = rules.amount_limits(data["currency"], online=True)
            if not limits.allow(data["amount_minor"]):
                self.add_error("amount_minor", f"Gifts must be {limits.range_text}.")
        return data


class PlanAmountForm(forms.Form):
    """The donor's new monthly amount, typed in major units ("25.00")."""

    amount = forms.DecimalField(label="New monthly amount", min_value=0, decimal_places=2, max_digits=12)

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan

    def clean(self):
        data = super().clean()
        if "amount" not in data:
            return data
        data["amount_minor"] = int(data["amount"].scaleb(CURRENCIES[self.plan.currency].exponent))
        limits = rules.amount_limits(self.plan.currency, online=True)
        if not limits.allow(data["amount_minor"]):
            self.add_error("amount", f"Monthly gifts must be {limits.range_text}.")
            return data
        # A split plan keeps its proportions (allocations.rescale_plan_parts),
        # and every part stays a gift we would take on its own.
        parts = [part.amount_minor for part in self.plan.allocations.all()]
        if parts and min(rules.split_pro_rata(data["amount_minor"], parts)) < limits.min_minor:
            smallest = format_money(limits.min_minor, self.plan.currency)
            self.add_error(
                "amount",
                f"This gift is split between {len(parts)} funds in the same proportions, and each part must be "
                f"at least {smallest}: choose a larger amount.",
            )
        return data


class PlanFundsForm(forms.Form):
    """Where a monthly gift goes: one of its campaign's funds, or a split
    between two to five of them (the donate form's rules: each a fund the
    campaign offers, each part a gift we would take on its own), the parts
    adding up to the monthly amount. Amounts in major units ("10.00"), one
    field per fund offered (`part_<slug>`); a part left empty is no part."""

    giving = forms.ChoiceField(choices=[("one", "One fund"), ("split", "Split between funds")])
    fund = forms.CharField(max_length=40, required=False)

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.offered = campaign_selectors.funds_offered(plan.campaign)
        for fund in self.offered:
            self.fields[f"part_{fund.slug}"] = forms.DecimalField(
                label=fund.name, required=False, min_value=0, decimal_places=2, max_digits=12
            )
        self.parts: list[Part] = []

    def part_fields(self):
        """(fund, bound field) for each fund offered, in the campaign's order."""
        return [(fund, self[f"part_{fund.slug}"]) for fund in self.offered]

    def clean(self):
        data = super().clean()
        if data.get("giving") == "one":
            fund = rules.offered_fund(self.plan.campaign, data.get("fund") or "", offered=self.offered)
            if fund is None:
                self.add_error("fund", "Choose one of this campaign's funds.")
            else:
                self.parts = [Part(fund, self.plan.amount_minor)]
            return data
        if data.get("giving") != "split":
            return data
        exponent = CURRENCIES[self.plan.currency].exponent
        limits = rules.amount_limits(self.plan.currency, online=True)
        parts = []
        for fund in self.offered:
            name = f"part_{fund.slug}"
            amount = data.get(name)
            if not amount:
                continue
            amount_minor = int(amount.scaleb(exponent))
            if not limits.allow(amount_minor):
                self.add_error(name, f"Each part must be {limits.range_text}.")
            parts.append(Part(fund, amount_minor))
        if self.errors:
            return data
        if not rules.MIN_PARTS <= len(parts) <= rules.MAX_PARTS:
            raise forms.ValidationError(
                f"A split gift goes to {rules.MIN_PARTS} to {rules.MAX_PARTS} funds: give an amount for each."
            )
        total = sum(part.amount_minor for part in parts)
        if total != self.plan.amount_minor:
            raise forms.ValidationError(
                f"The parts add up to {format_money(total, self.plan.currency)}, but your monthly gift is "
                f"{format_money(self.plan.amount_minor, self.plan.currency)}: make them add up to it."
            )
        self.parts = parts
        return data


class PlanPauseForm(forms.Form):
    """How long to pause a monthly gift: one, two or three months."""

    months = forms.TypedChoiceField(
        label="Pause for",
        coerce=int,
        choices=[(1, "One month"), (2, "Two months"), (3, "Three months")],
        error_messages={"invalid_choice": "A monthly gift can be paused for one, two or three months."},
    )
