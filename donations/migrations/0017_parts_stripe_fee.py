from django.db import migrations, models
from django.db.models import Count, Exists, OuterRef, Subquery

from donations.rules import split_pro_rata


def share_known_fees(apps, schema_editor):
    """Every gift whose Stripe fee is known shares it between its parts by
    what each was charged, as donations.services.allocations does for the
    fees recorded from now on: a gift of one part, nearly every gift, in
    one UPDATE; a split gift part by part."""
    Allocation = apps.get_model("donations", "Allocation")
    Donation = apps.get_model("donations", "Donation")
    others = Allocation.objects.filter(donation_id=OuterRef("donation_id")).exclude(pk=OuterRef("pk"))
    fee = Donation.objects.filter(pk=OuterRef("donation_id")).values("stripe_fee_minor")
    Allocation.objects.filter(donation__stripe_fee_minor__isnull=False).exclude(Exists(others)).update(
        stripe_fee_minor=Subquery(fee)
    )
    split = (
        Allocation.objects.filter(donation__stripe_fee_minor__isnull=False)
        .values("donation_id")
        .annotate(parts=Count("pk"))
        .filter(parts__gt=1)
        .values_list("donation_id", flat=True)
    )
    for gift in Donation.objects.filter(pk__in=list(split)).only("pk", "stripe_fee_minor"):
        parts = list(Allocation.objects.filter(donation_id=gift.pk).order_by("position"))
        shares = split_pro_rata(gift.stripe_fee_minor, [part.amount_minor + part.fee_covered_minor for part in parts])
        for part, share in zip(parts, shares, strict=True):
            part.stripe_fee_minor = share
        Allocation.objects.bulk_update(parts, ["stripe_fee_minor"])


class Migration(migrations.Migration):
    dependencies = [
        ("donations", "0016_copy_last_moves_onto_gifts"),
    ]

    operations = [
        migrations.AddField(
            model_name="allocation",
            name="stripe_fee_minor",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(share_known_fees, migrations.RunPython.noop),
    ]
