"""W3 -> P4: coverage changes take effect on approval, and distribution uses the coverage in
force when it runs."""

import pytest

from brokerage.distribution import distribute_packages
from brokerage.models import Offer
from tests.brokerage.conftest import MONDAY_11
from tests.factories import PackageFactory
from wards.services import ward_request_create, ward_requests_approve, ward_requests_reject

pytestmark = pytest.mark.django_db


def offered_branches(package) -> set[str]:
    return set(Offer.objects.filter(package=package).values_list("branch__ref", flat=True))


def test_after_approval_the_next_distribution_offers_the_wards_package_to_the_branch(
    register, alice, carl, branch_a1, ribbleton
):
    request = ward_request_create(actor=alice, branch=branch_a1, wards=[ribbleton], action="add")[0]
    before = PackageFactory(ward=ribbleton, status="queued")
    distribute_packages(as_of=MONDAY_11)
    assert offered_branches(before) == set()  # pending: nothing yet

    ward_requests_approve(actor=carl, ids=[request.pk])
    package = PackageFactory(ward=ribbleton, status="queued")
    distribute_packages(as_of=MONDAY_11)
    assert offered_branches(package) == {"A1"}
    assert offered_branches(before) == {"A1"}  # the uncovered package goes out now too


def test_after_a_removal_is_approved_the_next_distribution_does_not_offer_it(
    register, alice, carl, branch_a1, fishwick
):
    request = ward_request_create(actor=alice, branch=branch_a1, wards=[fishwick], action="remove")[
        0
    ]
    ward_requests_approve(actor=carl, ids=[request.pk])
    package = PackageFactory(ward=fishwick, status="queued")
    distribute_packages(as_of=MONDAY_11)
    assert offered_branches(package) == set()


def test_a_rejected_request_changes_nothing_for_distribution(
    register, alice, carl, branch_a1, ribbleton, fishwick
):
    request = ward_request_create(actor=alice, branch=branch_a1, wards=[ribbleton], action="add")[0]
    ward_requests_reject(actor=carl, ids=[request.pk], comment="No")
    packages = [PackageFactory(ward=w, status="queued") for w in (ribbleton, fishwick)]
    distribute_packages(as_of=MONDAY_11)
    assert [offered_branches(p) for p in packages] == [set(), {"A1"}]
