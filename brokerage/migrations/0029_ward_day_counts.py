# Issue 13, W5: ward health's counts kept per package and day, counted from the offers there.

import django.db.models.deletion
from django.db import migrations, models


def fill(apps, schema_editor):
    """Count the days of the offers already there (every quarter)."""
    if not apps.get_model("brokerage", "Offer").objects.exists():
        return
    from brokerage.counts import rebuild_wards

    rebuild_wards(everything=True)


class Migration(migrations.Migration):

    dependencies = [
        ('brokerage', '0028_offers_newest_by_sent_at_and_id'),
        ('wards', '0003_alter_coverage_coverage_ends_after_it_starts'),
    ]

    operations = [
        migrations.CreateModel(
            name='WardDayCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField(help_text='The day the offers were sent (Europe/London).')),
                ('sent', models.IntegerField(db_default=0, default=0)),
                ('counted', models.IntegerField(db_default=0, default=0)),
                ('responded', models.IntegerField(db_default=0, default=0)),
                ('made', models.IntegerField(db_default=0, default=0)),
                ('package', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='brokerage.package')),
                ('ward', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='day_counts', to='wards.ward')),
            ],
            options={
                'indexes': [models.Index(fields=['ward', 'day'], name='ward_day_count_by_ward')],
                'constraints': [models.UniqueConstraint(fields=('day', 'package'), name='one_ward_day_count_per_package_day', violation_error_message="This package's offers are already counted for this day.")],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
