"""Issue 13, K12: a council's database upgraded to the kept market gaps (brokerage 0024) has them
counted from the offers it already holds, so the dashboard's gaps are right from the first view."""

from datetime import date, timedelta

import pytest

from brokerage import counts
from brokerage.models import GapCount
from tests.migrating import latest, migrate, old_package

from .conftest import at

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("brokerage", "0023_offer_auto_answered_index")]


def test_existing_offers_are_counted_into_the_gaps_when_migrated():
    apps = migrate(BEFORE)
    provider, branch, package = old_package(apps, date(2026, 6, 1))
    sent = at(2026, 5, 5, 11)
    apps.get_model("brokerage", "Offer").objects.create(
        package=package,
        branch=branch,
        provider=provider,
        sent_at=sent,
        deadline=sent + timedelta(days=3),
        placement_response="unable_to_accept",
        reason="call_times",
    )
    migrate(latest())
    kept = GapCount.objects.get(package_id=package.pk, start=date(2026, 4, 1))
    assert (kept.offers, kept.declined, kept.declined_call_times, kept.made) == (1, 1, 1, 0)
    assert counts.stored_gaps() == counts.recount_gaps()
    assert counts.stored_wards() == counts.recount_wards()  # W5
