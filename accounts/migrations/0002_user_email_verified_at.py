from django.db import migrations, models
from django.utils import timezone


def trust_existing_accounts(apps, schema_editor):
    """Accounts made before verification existed (the demo's logins, and
    captains whose pages are already live) could never have verified: they
    keep publishing and inviting. Every account made from now on starts
    unverified."""
    apps.get_model("accounts", "User").objects.filter(email_verified_at__isnull=True).update(
        email_verified_at=timezone.now()
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_verified_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(trust_existing_accounts, migrations.RunPython.noop),
    ]
