"""The reviews world: provider A's branches a1 and a2 and provider B's b1 each hold an awarded
package (offers made by hand in the state award leaves them), awarded over a year ago unless said."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from brokerage.models import Offer, Package
from tests.factories import PackageFactory

LONG_AGO = timezone.now() - timedelta(days=400)


def award_to(branch, *, hours="10", at: datetime = LONG_AGO, reference: str = "") -> Package:
    """A package awarded to `branch` at `at`, as package_award would leave it."""
    extra = {"reference": reference} if reference else {}
    package = PackageFactory(
        status="awarded", awarded_at=at, hours_per_week=Decimal(hours), **extra
    )
    Offer.objects.create(
        package=package,
        branch=branch,
        provider=branch.provider,
        sent_at=at - timedelta(days=2),
        deadline=at + timedelta(days=1),
        placement_response="offer_made",
        offered_start_date=at.date(),
        outcome="awarded",
        responded_at=at - timedelta(days=1),
        closed_at=at,
    )
    return package


@pytest.fixture
def held(branch_a1, branch_a2, branch_b1):
    """One awarded package per branch: a1 10 h, a2 7 h, b1 14 h a week."""
    return {
        "a1": award_to(branch_a1, hours="10", reference="REV-A1"),
        "a2": award_to(branch_a2, hours="7", reference="REV-A2"),
        "b1": award_to(branch_b1, hours="14", reference="REV-B1"),
    }
