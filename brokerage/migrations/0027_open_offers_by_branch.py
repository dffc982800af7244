# Issue 13, goal 2: a branch's open offers by deadline (its inbox and home page), in place of the
# (outcome, deadline) index, which offer_open_by_deadline covers for every open-offer query. The
# new index is built before the old one goes, so no query is ever without one.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("brokerage", "0026_offer_branch_provider_foreign_key"),
        ("providers", "0002_branch_with_provider"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="offer",
            index=models.Index(
                condition=models.Q(("outcome", "open")),
                fields=["branch", "deadline", "id"],
                name="offer_open_by_branch",
            ),
        ),
        migrations.RemoveIndex(
            model_name="offer",
            name="brokerage_o_outcome_5dd960_idx",
        ),
    ]
