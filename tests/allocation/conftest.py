"""A hand-made market for the decision matrix (L1): three providers answering one package, with
offers in the last 90 days made directly so every figure is known."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from brokerage.models import Offer, Package
from tests.factories import BranchFactory, CoverageFactory, PackageFactory, ProviderFactory

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=timezone.get_default_timezone())
WANTED = date(2026, 11, 16)


def past_offer(branch, *, response, days_ago, outcome="not_awarded", hours=10, status="awarded"):
    """An offer in the market's past; an awarded one holds its package's hours (L1 market share)."""
    sent = NOW - timedelta(days=days_ago)
    package = PackageFactory(ward=branch.coverage.first().ward, status=status, hours_per_week=hours)
    return Offer.objects.create(
        package=package,
        branch=branch,
        provider=branch.provider,
        sent_at=sent,
        deadline=sent + timedelta(days=3),
        placement_response=response,
        outcome=outcome,
        responded_at=sent + timedelta(hours=1) if response != "no_response" else None,
        offered_start_date=WANTED if response == "offer_made" else None,
        reason="no_capacity" if response == "unable_to_accept" else "",
    )


def answer(package: Package, branch, *, start: date, minutes: int) -> Offer:
    """An open offer for `package` that `branch` answered Offer Made `minutes` after it was sent."""
    sent = NOW - timedelta(hours=2)
    return Offer.objects.create(
        package=package,
        branch=branch,
        provider=branch.provider,
        sent_at=sent,
        deadline=sent + timedelta(days=3),
        placement_response="offer_made",
        outcome="open",
        responded_at=sent + timedelta(minutes=minutes),
        offered_start_date=start,
    )


@pytest.fixture
def matrix_market(db, ward):
    """P (outstanding): 3 of 4 counted offers answered (0.75), holds 20 hours, offers the wanted
    date. Q (good): 2 of 2 (1.0), holds 10 hours, offers 7 days late. R (requires improvement): no
    counted offer in the last 90 days (one 100 days ago), holds nothing, offers 28 days late."""
    branches = {}
    for key, rating in (("P", "outstanding"), ("Q", "good"), ("R", "requires_improvement")):
        provider = ProviderFactory(ref=f"PR-{key}", name=f"Provider {key}", cqc_rating=rating)
        branch = BranchFactory(provider=provider, ref=f"{key}1", name=f"Branch {key}")
        CoverageFactory(branch=branch, ward=ward)
        branches[key] = branch
    p, q, r = branches["P"], branches["Q"], branches["R"]
    past_offer(p, response="offer_made", days_ago=30, outcome="awarded", hours=Decimal(20))
    past_offer(p, response="unable_to_accept", days_ago=20)
    past_offer(p, response="unable_to_accept", days_ago=10)
    past_offer(p, response="no_response", days_ago=5)
    past_offer(q, response="offer_made", days_ago=40, outcome="awarded", hours=Decimal(10))
    past_offer(q, response="unable_to_accept", days_ago=15)
    past_offer(r, response="no_response", days_ago=100)
    package = PackageFactory(
        reference="PKG-MATRIX", ward=ward, status="offered", start_date=WANTED, hours_per_week=12
    )
    offers = {
        "P": answer(package, p, start=WANTED, minutes=30),
        "Q": answer(package, q, start=WANTED + timedelta(days=7), minutes=20),
        "R": answer(package, r, start=WANTED + timedelta(days=28), minutes=10),
    }
    return {"package": package, "branches": branches, "offers": offers}
