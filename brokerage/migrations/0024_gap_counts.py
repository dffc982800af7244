# Issue 13, K12: the market gaps kept per package and quarter, counted from the offers there.

import django.db.models.deletion
from django.db import migrations, models


def fill(apps, schema_editor):
    """Count the gaps of the offers already there (every quarter)."""
    if not apps.get_model("brokerage", "Offer").objects.exists():
        return
    from brokerage.counts import rebuild_gaps

    rebuild_gaps(everything=True)


class Migration(migrations.Migration):

    dependencies = [
        ('brokerage', '0023_offer_auto_answered_index'),
        ('wards', '0003_alter_coverage_coverage_ends_after_it_starts'),
    ]

    operations = [
        migrations.CreateModel(
            name='GapCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('start', models.DateField(help_text="The financial quarter's first day (Europe/London).")),
                ('service_level', models.CharField(choices=[('homecare_single', 'Homecare – Single Carer'), ('homecare_two', 'Homecare – Two Carer'), ('homecare_variable', 'Homecare – Variable Carer'), ('stcah_single', 'Short Term Care at Home – Single Carer'), ('stcah_two', 'Short Term Care at Home – Two Carer'), ('short_breaks_rolling', 'Short Breaks – Homecare – Rolling'), ('homecare_single_with_short_breaks', 'Homecare – Single Carer with Short Breaks – Homecare – Rolling')], max_length=40)),
                ('offers', models.IntegerField(db_default=0, default=0)),
                ('declined', models.IntegerField(db_default=0, default=0)),
                ('made', models.IntegerField(db_default=0, default=0)),
                ('declined_no_capacity', models.IntegerField(db_default=0, default=0)),
                ('declined_call_times', models.IntegerField(db_default=0, default=0)),
                ('declined_carer_gender', models.IntegerField(db_default=0, default=0)),
                ('declined_out_of_area', models.IntegerField(db_default=0, default=0)),
                ('declined_needs', models.IntegerField(db_default=0, default=0)),
                ('declined_other', models.IntegerField(db_default=0, default=0)),
                ('package', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='brokerage.package')),
                ('ward', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='wards.ward')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('start', 'package'), name='one_gap_count_per_package_quarter', violation_error_message="This package's offers are already counted this quarter.")],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
