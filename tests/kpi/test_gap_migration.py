"""Issue 13, K12: a council's database upgraded to the kept market gaps (brokerage 0024) has them
counted from the offers it already holds, so the dashboard's gaps are right from the first view."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from brokerage import counts
from brokerage.models import GapCount

from .conftest import at

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("brokerage", "0023_offer_auto_answered_index")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_existing_offers_are_counted_into_the_gaps_when_migrated():
    apps = _migrate(BEFORE)
    ward = apps.get_model("wards", "Ward").objects.create(
        code="E05012001", name="Fishwick", district="Preston"
    )
    provider = apps.get_model("providers", "Provider").objects.create(
        ref="PA", name="Amber Homecare Ltd", joined_on=date(2024, 1, 1)
    )
    branch = apps.get_model("providers", "Branch").objects.create(
        provider=provider, ref="A1", name="Preston", notification_email="a1@amber.example.org"
    )
    package = apps.get_model("brokerage", "Package").objects.create(
        reference="PKG-OLD-1",
        ward=ward,
        postcode="PR1 4AB",
        service_level="homecare_single",
        hours_per_week=10,
        call_pattern="2 calls a day",
        carer_gender="any",
        urgency="standard",
        start_date=date(2026, 6, 1),
        needs_summary="Personal care",
        status="offered",
    )
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
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    kept = GapCount.objects.get(package_id=package.pk, start=date(2026, 4, 1))
    assert (kept.offers, kept.declined, kept.declined_call_times, kept.made) == (1, 1, 1, 0)
    assert counts.stored_gaps() == counts.recount_gaps()
