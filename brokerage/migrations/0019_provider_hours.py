# L1 market share (issue 10): the weekly hours each provider holds, kept per provider
# (brokerage/holdings.py) instead of read from every award; filled from the awards here.

from decimal import Decimal

import django.db.models.deletion
from django.db import migrations, models


def fill(apps, schema_editor):
    Offer = apps.get_model("brokerage", "Offer")
    ProviderHours = apps.get_model("brokerage", "ProviderHours")
    rows = (
        Offer.objects.filter(
            outcome="awarded", package__status="awarded", round=models.F("package__round")
        )
        .order_by()
        .values("provider_id")
        .annotate(hours=models.Sum("package__hours_per_week"))
    )
    ProviderHours.objects.bulk_create(
        [ProviderHours(provider_id=r["provider_id"], hours=r["hours"]) for r in rows if r["hours"]],
        batch_size=2000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("brokerage", "0018_fan_out_indexes"),
        ("providers", "0001_initial"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="package", name="package_awarded_hours"),
        migrations.CreateModel(
            name="ProviderHours",
            fields=[
                (
                    "provider",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="providers.provider",
                    ),
                ),
                ("hours", models.DecimalField(decimal_places=2, default=Decimal("0"), max_digits=12)),
            ],
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
