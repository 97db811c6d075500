"""Statements name their statement year ("2026", or "2025-26" for one that
starts later than 1 January), and a corrected statement replaces the one it
corrects: only originals are one per donor (or organisation) and year.
Every statement made before was for a calendar year, named by its year."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models.functions import Cast


def name_calendar_years(apps, schema_editor):
    YearEndStatement = apps.get_model("receipts", "YearEndStatement")
    YearEndStatement.objects.update(period=Cast("year", models.CharField(max_length=7)))


class Migration(migrations.Migration):
    dependencies = [
        ("receipts", "0010_statements_per_organization"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="yearendstatement", name="one_statement_per_donor_and_year"),
        migrations.RemoveConstraint(model_name="yearendstatement", name="one_statement_per_organization_and_year"),
        migrations.AddField(
            model_name="yearendstatement",
            name="period",
            field=models.CharField(default="", max_length=7),
            preserve_default=False,
        ),
        migrations.RunPython(name_calendar_years, migrations.RunPython.noop, elidable=True),
        migrations.AddField(
            model_name="yearendstatement",
            name="replaces",
            field=models.OneToOneField(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="replaced_by",
                to="receipts.yearendstatement",
            ),
        ),
        migrations.AddConstraint(
            model_name="yearendstatement",
            constraint=models.UniqueConstraint(
                condition=models.Q(("organization__isnull", True), ("replaces__isnull", True)),
                fields=("donor", "period"),
                name="one_statement_per_donor_and_period",
            ),
        ),
        migrations.AddConstraint(
            model_name="yearendstatement",
            constraint=models.UniqueConstraint(
                condition=models.Q(("organization__isnull", False), ("replaces__isnull", True)),
                fields=("organization", "period"),
                name="one_statement_per_organization_and_period",
            ),
        ),
    ]
