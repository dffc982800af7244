"""K11: an offer's first answer time, kept apart from `responded_at` (which moves when an answer is
changed). Offers answered before this field existed take their `responded_at`: the best record
there is of when they were answered."""

from django.db import migrations, models
from django.db.models import F

ANSWERED = ["offer_made", "unable_to_accept"]


def fill_first_answers(apps, schema_editor):
    Offer = apps.get_model("brokerage", "Offer")
    Offer.objects.filter(
        placement_response__in=ANSWERED,
        responded_at__isnull=False,
        first_responded_at__isnull=True,
    ).update(first_responded_at=F("responded_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("brokerage", "0011_package_end_hours_changes_claims"),
    ]

    operations = [
        migrations.AddField(
            model_name="offer",
            name="first_responded_at",
            field=models.DateTimeField(
                blank=True,
                help_text="K11: when the offer was first answered (by the branch, or at once by P12).",
                null=True,
            ),
        ),
        migrations.RunPython(fill_first_answers, migrations.RunPython.noop),
    ]
