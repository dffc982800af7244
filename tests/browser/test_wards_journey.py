"""The W3 journey in a real browser: a provider's branch user asks to cover a ward, a contract
manager approves it in the queue, the register goes up one version, and the next distribution
offers the ward's queued package to the branch, which sees it in its offers inbox.

Screenshots of every ward page go to screenshots/ for a human to look at."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from brokerage.distribution import distribute_packages
from brokerage.models import Offer
from tests.factories import PackageFactory, WardFactory
from wards.models import WardRequest
from wards.services import register_change, register_current_version

from .conftest import (
    DESKTOP,
    _watched_page,
    assert_accessible,
    assert_page_never_scrolls_sideways,
    screenshot,
    signed_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def market(branch_a1, branch_a2, branch_b1, ward):
    """Register v1: a1 covers Fishwick, b1 Ribbleton, a2 Chorley East; nobody covers Deepdale,
    where a package waits in the queue. A month of offer history for ward health."""
    deepdale = WardFactory(code="E05012004", name="Deepdale", district="Preston")
    wards = [
        ward,
        WardFactory(code="E05012002", name="Ribbleton", district="Preston"),
        WardFactory(code="E05012003", name="Chorley East", district="Chorley"),
        deepdale,
    ]
    register_change(
        add=[(branch_a1, wards[0]), (branch_b1, wards[1]), (branch_a2, wards[2])],
        note="Ward cleanse (v28)",
    )
    history(branch_a1, wards[0], made=1, unable=12, no_response=9)  # 1 in 22: a cleanse candidate
    history(branch_b1, wards[1], made=9, unable=3, no_response=1)
    history(branch_a2, wards[2], made=4, unable=4)
    package = PackageFactory(reference="PKG-DEEP-1", ward=deepdale, status="queued")
    return {"deepdale": deepdale, "package": package}


def history(branch, ward, *, made=0, unable=0, no_response=0):
    """Past offers to `branch` for packages in `ward`, sent a month ago, with these answers."""
    sent = timezone.now() - timedelta(days=30)
    answers = (
        [("offer_made", "not_awarded")] * made
        + [("unable_to_accept", "not_awarded")] * unable
        + [("no_response", "not_awarded")] * no_response
    )
    Offer.objects.bulk_create(
        Offer(
            package=PackageFactory(ward=ward, status="awarded"),
            branch=branch,
            provider=branch.provider,
            sent_at=sent,
            deadline=sent + timedelta(days=3),
            placement_response=answer,
            outcome=outcome,
            offered_start_date=sent.date() if answer == "offer_made" else None,
        )
        for answer, outcome in answers
    )


def test_provider_requests_a_ward_manager_approves_and_next_distribution_offers_it(
    browser, page, live_server, problems, market, alice, carl
):
    url = live_server.url
    # The branch user looks at its wards and asks to add Deepdale.
    signed_in(page, live_server, alice)
    page.goto(f"{url}/wards/mine/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My wards")
    expect(page.locator("main")).to_contain_text("Fishwick")
    assert_accessible(page)
    screenshot(page, "wards-my-wards")

    page.get_by_role("link", name="Request a change", exact=True).first.click()
    page.get_by_label("Add wards the branch will cover").check()
    page.get_by_label("District", exact=True).select_option("Preston")
    page.get_by_role("button", name="Show wards").click()
    page.get_by_label("Deepdale, Preston").check()
    page.get_by_label("Why do you want this change?").fill(
        "Two of our carers live in Deepdale and we have capacity for morning calls."
    )
    assert_accessible(page)
    screenshot(page, "wards-request-form")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("1 request sent")
    expect(page.locator("main table")).to_contain_text("Pending")
    screenshot(page, "wards-my-requests")
    assert register_current_version() == 1

    # The contract manager approves it from the queue.
    context, manager = _watched_page(browser, problems, viewport=DESKTOP)
    signed_in(manager, live_server, carl)
    manager.goto(f"{url}/wards/requests/")
    expect(manager.locator("main table")).to_contain_text("Deepdale")
    request_id = WardRequest.objects.get().pk
    manager.get_by_label(re.compile(f"^Request {request_id}:")).check()
    manager.get_by_label("Comment for the provider").fill("Agreed: Deepdale is thinly covered.")
    assert_accessible(manager)
    screenshot(manager, "wards-requests-queue")
    manager.get_by_role("button", name="Approve ticked requests").click()
    expect(manager.locator(".govuk-notification-banner--success")).to_contain_text(
        "Register v2 is now in force"
    )
    assert register_current_version() == 2

    manager.goto(f"{url}/wards/register/")
    expect(manager.locator("main table tbody tr").first).to_contain_text("v2")
    expect(manager.locator("main table tbody tr").first).to_contain_text("carl")
    assert_accessible(manager)
    screenshot(manager, "wards-register-versions")
    manager.get_by_role("link", name="Changes in register v2").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text("Register v2 compared with v1")
    expect(manager.locator("main")).to_contain_text("Added (1)")
    expect(manager.locator("main")).to_contain_text("Deepdale")
    assert_accessible(manager)
    screenshot(manager, "wards-register-diff")

    # The next distribution offers Deepdale's queued package to branch a1.
    result = distribute_packages(as_of=timezone.now())
    assert result.offers == 1

    manager.goto(f"{url}/ward-health/")
    expect(manager.get_by_role("heading", level=1)).to_have_text("Ward health")
    expect(manager.locator("#wards ~ .portal-table-container").first).to_contain_text("Deepdale")
    expect(manager.locator("#cleanse ~ .portal-table-container").first).to_contain_text("Fishwick")
    assert_accessible(manager)
    screenshot(manager, "wards-health")
    context.close()

    # The branch user sees the approval and the offer.
    page.goto(f"{url}/wards/requests/")
    expect(page.locator("main table")).to_contain_text("Approved")
    expect(page.locator("main table")).to_contain_text("Agreed: Deepdale is thinly covered.")
    page.goto(f"{url}/offers/")
    expect(page.locator("main")).to_contain_text("PKG-DEEP-1")
    screenshot(page, "wards-offer-in-inbox")
    problems.assert_none()


def test_provider_pages_on_a_phone(browser, live_server, problems, market, olivia):
    from .conftest import PHONE

    context, phone = _watched_page(
        browser, problems, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    signed_in(phone, live_server, olivia)
    phone.goto(f"{live_server.url}/wards/mine/")
    expect(phone.locator("main")).to_contain_text("Chorley East")
    assert_page_never_scrolls_sideways(phone)
    screenshot(phone, "wards-my-wards-phone")
    context.close()
    problems.assert_none()
