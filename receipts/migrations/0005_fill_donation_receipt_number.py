from django.db import migrations
from django.db.models import OuterRef, Subquery


def fill(apps, schema_editor):
    """Each gift gets the number of its receipt that stands (not void, not
    replaced by a correction; receipts.selectors.current_receipt_number),
    in one statement whatever the size of the ledger; gifts with none keep
    the blank they were added with."""
    Donation = apps.get_model("donations", "Donation")
    Receipt = apps.get_model("receipts", "Receipt")
    standing = Receipt.objects.exclude(status="void").filter(replaced_by__isnull=True)
    Donation.objects.filter(pk__in=standing.values("donation_id")).update(
        receipt_number=Subquery(
            standing.filter(donation=OuterRef("pk")).order_by("-issued_at", "-pk").values("number")[:1]
        )
    )


class Migration(migrations.Migration):

    dependencies = [
        ('donations', '0008_donation_receipt_number'),
        ('receipts', '0004_outbound_email_claimed_by'),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
