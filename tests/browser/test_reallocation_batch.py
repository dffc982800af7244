"""L4 in a browser: a navigator picks the provider packages move from, makes the batch and sends
it; the branch it goes to sees the batch together (axe on each page, screenshots to look at)."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from allocation.services import award
from brokerage.models import Offer, Package
from brokerage.services import offer_respond, package_send_now
from tests.factories import CoverageFactory, PackageFactory

from .conftest import assert_accessible, screenshot, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def held_by_birch(branch_a1, branch_b1, ward, nina, bob):
    """Two packages in PR1 awarded to Birch (b1); Fishwick is covered by a1 and b1."""
    CoverageFactory(branch=branch_a1, ward=ward)
    CoverageFactory(branch=branch_b1, ward=ward)
    held = []
    for reference in ("ASC-2026-0077", "ASC-2026-0078"):
        package = PackageFactory(reference=reference, ward=ward, postcode="PR1 4AB")
        package_send_now(actor=nina, package=package)
        offer = package.offers.get(branch=branch_b1)
        offer_respond(
            actor=bob, offer=offer, response="offer_made", start_date=timezone.localdate()
        )
        award(actor=nina, package=package, offer=offer)
        held.append(package)
    return held


def test_navigator_makes_and_sends_a_batch_and_the_branch_sees_it(
    page, live_server, problems, held_by_birch, branch_a1, branch_b1, nina, alice
):
    signed_in(page, live_server, nina)
    page.goto(f"{live_server.url}/batches/new/")
    page.get_by_label("Provider the packages move from").fill("birch")  # typed ahead
    page.get_by_role("option", name="Birch Care Services (PB, active)").click()
    page.get_by_role("button", name="Find awarded packages").click()
    for package in held_by_birch:
        expect(page.get_by_label(package.reference, exact=False)).to_be_checked()
    page.get_by_label("Why these packages must move").fill("Birch leaves the PDPS")
    assert_accessible(page)
    screenshot(page, "batch-create-chosen")
    page.get_by_role("button", name="Make the batches").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "1 batch made, one per postcode district"
    )
    page.get_by_role("link", name=re.compile(r"^Batch \d+$")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Reallocation batch")
    page.get_by_role("button", name="Send the batch").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "2 offers made, a new round for each package"
    )
    assert_accessible(page)
    screenshot(page, "batch-sent")
    # A new round for each package, offered to a1 only (never back to Birch); the earlier award stays.
    for package in Package.objects.filter(pk__in=[p.pk for p in held_by_birch]):
        assert package.status == "offered" and package.round == 2
        round_two = Offer.objects.filter(package=package, round=2)
        assert list(round_two.values_list("branch_id", flat=True)) == [branch_a1.pk]
        assert package.awarded_offer.branch_id == branch_b1.pk  # round 1's award, unchanged
    assert Offer.objects.filter(round=2).count() == 2
    batch_url = page.url

    page.context.clear_cookies()
    signed_in(page, live_server, alice)
    page.goto(batch_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Packages to move in PR1")
    for package in held_by_birch:
        expect(page.get_by_role("table")).to_contain_text(package.reference)
    assert_accessible(page)
    screenshot(page, "batch-branch-view-after-send")
