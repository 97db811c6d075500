# Apart from 0015: PostgreSQL creates 0015's index and foreign key at the
# end of its migration, which it refuses once rows were updated in it.

from django.db import migrations, models


def copy_moves_onto_their_gifts(apps, schema_editor):
    """Gifts moved before this migration: their last move and count."""
    Donation = apps.get_model("donations", "Donation")
    GiftMove = apps.get_model("donations", "GiftMove")
    for move in GiftMove.objects.order_by("moved_at", "pk").iterator():
        Donation.objects.filter(pk=move.donation_id).update(
            last_move=move, move_count=models.F("move_count") + 1
        )


class Migration(migrations.Migration):
    dependencies = [
        ("donations", "0015_donation_last_move"),
    ]

    operations = [
        migrations.RunPython(copy_moves_onto_their_gifts, migrations.RunPython.noop),
    ]
