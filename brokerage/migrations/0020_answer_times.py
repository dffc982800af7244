# Issue 13, K11: the kept medians per provider and quarter, and the market's answer times.

from django.db import migrations, models


def fill(apps, schema_editor):
    """Work the medians and answer times out from the offers already there (every quarter)."""
    if not apps.get_model("brokerage", "Offer").objects.exists():
        return
    from brokerage.counts import rebuild

    # The table recording changes to closed quarters comes later (0025); no process keeps a
    # closed quarter's figures while the database migrates.
    rebuild(everything=True, note_change=False)


class Migration(migrations.Migration):
    dependencies = [
        ("brokerage", "0019_provider_hours"),
        ("kpi", "0007_challenge"),
    ]

    operations = [
        migrations.AddField(
            model_name="responsecount",
            name="median_hours",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="responsecount",
            name="nonurgent_median_hours",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name="AnswerTimeCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("grain", models.CharField(choices=[("day", "Day"), ("quarter", "Quarter")], max_length=8)),
                ("start", models.DateField(help_text="The day, or the quarter's first day (Europe/London).")),
                ("urgent", models.BooleanField()),
                ("minute", models.IntegerField(help_text="Minutes from sent to first answer, to the nearest.")),
                ("offers", models.IntegerField(default=0)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("grain", "start", "urgent", "minute"),
                        name="one_answer_time_count_per_minute",
                        violation_error_message="These answers are already counted for this minute.",
                    )
                ],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
