"""KPI fixtures: offers written directly with the placement response and outcome a test needs."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from brokerage.models import Offer
from tests.factories import PackageFactory

LONDON = ZoneInfo("Europe/London")


def at(*args) -> datetime:
    """An aware Europe/London moment: at(2026, 5, 1, 11)."""
    return datetime(*args, tzinfo=LONDON)


@pytest.fixture
def make_offer(ward):
    """`make_offer(branch, sent_at, response, outcome="open", urgent=False)` -> an Offer."""

    def make(branch, sent_at, response, outcome="open", urgent=False, **extra):
        package = PackageFactory(
            ward=ward, status="offered", urgency="urgent" if urgent else "standard"
        )
        return Offer.objects.create(
            package=package,
            branch=branch,
            provider=branch.provider,
            sent_at=sent_at,
            deadline=sent_at + timedelta(days=1 if urgent else 3),
            urgent=urgent,
            placement_response=response,
            outcome=outcome,
            offered_start_date=sent_at.date() if response == "offer_made" else None,
            **extra,
        )

    return make


@pytest.fixture
def rate_market(make_offer, branch_a1, branch_a2, branch_b1):
    """2026-27-Q1 offers. Provider A (a1, a2): 8 offer made (2 awarded), 2 unable, 1 no response,
    plus 1 closed before response, 1 open and 1 urgent no response. Provider B: 1 offer made,
    3 no response."""
    q1 = at(2026, 5, 5, 11)
    for i in range(8):
        make_offer(
            branch_a1 if i % 2 else branch_a2,
            q1,
            "offer_made",
            "awarded" if i < 2 else "not_awarded",
        )
    make_offer(branch_a1, q1, "unable_to_accept", reason="no_capacity")
    make_offer(branch_a2, q1, "unable_to_accept", reason="needs")
    make_offer(branch_a1, q1, "no_response")
    make_offer(branch_a1, q1, "closed_before_response", "not_awarded")
    make_offer(branch_a1, q1, None)
    make_offer(branch_a1, q1, "no_response", urgent=True)
    make_offer(branch_b1, q1, "offer_made")
    for _ in range(3):
        make_offer(branch_b1, q1, "no_response")
