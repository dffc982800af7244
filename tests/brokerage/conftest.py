"""The brokerage market used by most tests: ward W covered by branches a1 (provider A) and b1
(provider B); branch a2 (provider A) covers another ward only."""

from datetime import timedelta

import pytest
from django.utils import timezone

from allocation.services import award
from brokerage import services
from tests.factories import (
    BranchFactory,
    CoverageFactory,
    PackageFactory,
    ProviderFactory,
    WardFactory,
)

MONDAY_11 = timezone.datetime(2026, 3, 2, 11, 0, tzinfo=timezone.get_default_timezone())


def offer_made_then_awarded(nina, package, offer, *, answered_by=None) -> None:
    """`offer` answered Offer Made (by `answered_by`, or the system with None) with a start two
    days ahead, then awarded by `nina` (allocation's award, so a moved review follows, L4)."""
    services.offer_respond(
        actor=answered_by,
        offer=offer,
        response="offer_made",
        start_date=timezone.localdate() + timedelta(days=2),
    )
    award(actor=nina, package=package, offer=offer)


@pytest.fixture
def other_ward(db):
    return WardFactory(code="E05012002", name="Ribbleton", district="Preston")


@pytest.fixture
def market(branch_a1, branch_a2, branch_b1, ward, other_ward):
    CoverageFactory(branch=branch_a1, ward=ward)
    CoverageFactory(branch=branch_b1, ward=ward)
    CoverageFactory(branch=branch_a2, ward=other_ward)
    return {"a1": branch_a1, "a2": branch_a2, "b1": branch_b1}


@pytest.fixture
def queued_package(market, ward):
    return PackageFactory(reference="PKG-1", ward=ward, status="queued", queued_at=MONDAY_11)


@pytest.fixture
def offered_package(queued_package):
    from brokerage.distribution import distribute_packages

    distribute_packages(as_of=MONDAY_11)
    queued_package.refresh_from_db()
    return queued_package


@pytest.fixture
def offer_a1(offered_package, branch_a1):
    return offered_package.offers.get(branch=branch_a1)


@pytest.fixture
def offer_b1(offered_package, branch_b1):
    return offered_package.offers.get(branch=branch_b1)


@pytest.fixture
def make_provider_branch():
    def make(ward, **provider_fields):
        branch = BranchFactory(provider=ProviderFactory(**provider_fields))
        CoverageFactory(branch=branch, ward=ward)
        return branch

    return make
