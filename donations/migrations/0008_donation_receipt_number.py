from django.db import migrations, models


class Migration(migrations.Migration):
    # Filled for existing gifts by receipts' migration 0005, which knows
    # receipts (donations never does).

    dependencies = [
        ('donations', '0007_stripe_event_ignored_reason'),
    ]

    operations = [
        migrations.AddField(
            model_name='donation',
            name='receipt_number',
            field=models.CharField(blank=True, db_default='', default='', editable=False, max_length=20),
        ),
    ]
