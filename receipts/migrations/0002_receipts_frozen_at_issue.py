import hashlib

import django.utils.timezone
from django.db import migrations, models

BATCH = 1000


def hash_tokens_and_freeze_receipts(apps, schema_editor):
    """Each receipt keeps its download link working (its token is replaced
    by the token's hash, which the link's lookup now hashes to) and is
    frozen as it reads today: the gift's details (copied from the donor by
    donations' 0002), its amounts, and the charity's identity from the
    settings this migration runs with."""
    from campaigns.models import ReceiptingEntity
    from receipts.documents import receipt_facts_at_issue

    Receipt = apps.get_model("receipts", "Receipt")
    receipts = Receipt.objects.select_related(
        "donation__donor", "donation__fund", "donation__campaign", "replaces"
    ).order_by("pk")
    batch = []
    for receipt in receipts.iterator(chunk_size=BATCH):
        receipt.pdf_token_hash = hashlib.sha256(receipt.public_token.encode()).hexdigest()
        # No gift was split then (gifts' parts came with donations' 0013),
        # and every campaign's receipts were the settings' organisation's.
        receipt.record = receipt_facts_at_issue(receipt, parts=[], entity=ReceiptingEntity.default()).as_record()
        batch.append(receipt)
        if len(batch) == BATCH:
            Receipt.objects.bulk_update(batch, ["pdf_token_hash", "record"])
            batch = []
    Receipt.objects.bulk_update(batch, ["pdf_token_hash", "record"])


class Migration(migrations.Migration):
    dependencies = [
        ("receipts", "0001_initial"),
        ("donations", "0004_gift_donor_details"),
    ]

    operations = [
        migrations.AddField(
            model_name="receipt",
            name="pdf_token_hash",
            field=models.CharField(blank=True, editable=False, max_length=64, null=True, unique=True),
        ),
        migrations.AddField(
            model_name="receipt",
            name="record",
            field=models.JSONField(default=dict, editable=False),
        ),
        migrations.AddField(
            model_name="yearendstatement",
            name="record",
            field=models.JSONField(default=dict, editable=False),
        ),
        migrations.AlterField(
            model_name="receipt",
            name="issued_at",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
        ),
        # Statements not yet sent are frozen when first composed
        # (receipts.services.statements.compose_statement_email).
        migrations.RunPython(hash_tokens_and_freeze_receipts, migrations.RunPython.noop),
        migrations.RemoveField(model_name="receipt", name="public_token"),
    ]
