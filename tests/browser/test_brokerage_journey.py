"""The brokerage journey in a real browser: a navigator creates a package and sends it at once; a
branch user signs in, finds it in the inbox, answers Offer Made with a start date and sees the answer
in the history; the navigator sees the answer on the package page and awards it.

Screenshots of each page go to screenshots/ for a human to look at."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from brokerage.distribution import distribute_packages
from brokerage.models import Offer, Package
from tests.factories import CoverageFactory, PackageFactory, WardFactory

from .conftest import DESKTOP, PHONE, screenshot, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def market(branch_a1, branch_b1, ward):
    """Fishwick is covered by branch a1 (Amber, Preston) and b1 (Birch, Lancaster); Nowhere by
    no branch at all."""
    CoverageFactory(branch=branch_a1, ward=ward)
    CoverageFactory(branch=branch_b1, ward=ward)
    WardFactory(code="E05099999", name="Nowhere", district="Preston")
    PackageFactory(reference="PKG-NOWHERE", ward=WardFactory(code="E05099999"), status="draft")
    return ward


def assert_no_horizontal_overflow(page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"page is {overflow}px wider than the viewport"


def create_and_send(page, live_server, start) -> None:
    page.goto(f"{live_server.url}/packages/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Create a package")
    page.get_by_label("Package reference").fill("ASC-2026-0142")
    # The ward select is a type-ahead once JavaScript runs (accessible-autocomplete).
    page.get_by_label("Ward", exact=True).fill("Fishw")
    page.get_by_role("option", name="Fishwick, Preston (E05012001)").click()
    page.get_by_label("Postcode").fill("pr1 4ab")
    page.get_by_label("Homecare – Single Carer", exact=True).check()
    page.get_by_label("Hours of care a week").fill("10.5")
    page.get_by_label("Call pattern").fill("4 calls a day, 30 minutes each")
    page.get_by_label("Female carers").check()
    page.get_by_label("Urgent", exact=True).check()
    page.get_by_label("Day").fill(str(start.day))
    page.get_by_label("Month").fill(str(start.month))
    page.get_by_label("Year").fill(str(start.year))
    page.get_by_label("Summary of needs").fill("Personal care and meals after a hospital stay.")
    page.get_by_label("Person's name").fill("Mrs Edna Example")
    page.get_by_label("Address").fill("1 Example Street, Preston")
    screenshot(page, "brokerage-package-create")
    page.get_by_role("button", name="Save and send now").click()


def test_navigator_sends_a_package_and_a_branch_answers_it(
    browser, page, live_server, problems, market, nina, alice
):
    start = timezone.localdate() + timedelta(days=5)

    # The navigator's form refuses a package with errors, with the GOV.UK error summary.
    signed_in(page, live_server, nina)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Packages").click()
    page.get_by_role("button", name="Create a package").click()
    page.get_by_role("button", name="Save as draft").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Enter the package reference")
    expect(page).to_have_title(re.compile(r"^Error: "))
    screenshot(page, "brokerage-package-create-errors")
    summary.get_by_role("link", name="Choose the service level").click()
    expect(page.get_by_label("Homecare – Single Carer", exact=True)).to_be_focused()

    # ... and sends a good one at once.
    create_and_send(page, live_server, start)
    # L2: send now shows where the package goes before it is sent.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check before you send now")
    expect(page.locator("#branches")).to_contain_text("Lancaster branch")
    screenshot(page, "brokerage-send-now-confirm")
    page.get_by_role("button", name="Send now").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "ASC-2026-0142 sent to 2 branches"
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text("Offered")
    offers = page.get_by_role("table").first
    expect(offers).to_contain_text("Preston")
    expect(offers).to_contain_text("Lancaster")
    screenshot(page, "brokerage-package-sent")
    problems.assert_none()

    # The branch user signs in through the form and answers from the inbox.
    context = browser.new_context(viewport=DESKTOP)
    branch_page = context.new_page()
    try:
        signed_in(branch_page, live_server, alice)
        branch_page.get_by_role("navigation", name="Menu").get_by_role(
            "link", name="Offers"
        ).click()
        expect(branch_page.get_by_role("heading", level=1)).to_have_text("Offers")
        waiting = branch_page.get_by_role("table").first
        expect(waiting).to_contain_text("ASC-2026-0142")
        expect(waiting).to_contain_text("PR1")
        expect(waiting).to_contain_text(re.compile(r"23 hours \d+ minutes left"))
        expect(waiting).to_contain_text("Urgent")
        screenshot(branch_page, "brokerage-inbox")

        branch_page.get_by_role("link", name="ASC-2026-0142").click()
        expect(branch_page.get_by_role("heading", level=1)).to_contain_text("ASC-2026-0142")
        expect(branch_page.locator("main")).not_to_contain_text("Mrs Edna Example")
        expect(branch_page.locator("main")).not_to_contain_text("4AB")
        date_box = branch_page.get_by_label("Day")
        expect(date_box).to_be_hidden()  # revealed only once Offer Made is chosen
        screenshot(branch_page, "brokerage-offer")

        branch_page.get_by_label("Offer Made").check()
        expect(date_box).to_be_visible()
        date_box.fill(str(start.day))
        branch_page.get_by_label("Month").fill(str(start.month))
        branch_page.get_by_label("Year").fill(str(start.year))
        branch_page.get_by_label("Note (optional)").fill("We already support two people nearby")
        screenshot(branch_page, "brokerage-offer-answering")
        branch_page.get_by_role("button", name="Send your answer").click()
        expect(branch_page.locator(".govuk-notification-banner--success")).to_contain_text(
            f"Offer Made, starting {start.day} {start:%B %Y}"
        )
        expect(
            branch_page.get_by_role("heading", level=2, name="Change your answer")
        ).to_be_visible()
        screenshot(branch_page, "brokerage-offer-answered")

        branch_page.goto(f"{live_server.url}/offers/history/")
        history = branch_page.get_by_role("table")
        expect(history).to_contain_text("ASC-2026-0142")
        expect(history).to_contain_text("Offer Made")
        expect(history).to_contain_text("Open")
        screenshot(branch_page, "brokerage-history")
        with branch_page.expect_download() as download:
            branch_page.get_by_role("button", name="Download as CSV").click()
        assert "ASC-2026-0142" in Path(download.value.path()).read_text()
    finally:
        context.close()

    # The navigator sees the answer, awards the package, and finds the queue flagging a ward
    # nobody covers.
    package = Package.objects.get(reference="ASC-2026-0142")
    page.goto(f"{live_server.url}/packages/{package.pk}/")
    expect(page.get_by_role("table").first).to_contain_text("Offer Made")
    page.get_by_role("button", name="Shortlist and award").click()
    expect(page.get_by_role("table")).to_contain_text("We already support two people nearby")
    screenshot(page, "brokerage-shortlist")
    page.get_by_role("button", name=re.compile("^Choose")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check the award")
    page.get_by_label("Feedback for the branches not chosen").fill("An earlier start was offered")
    screenshot(page, "allocation-award-confirm")
    if page.get_by_label("Why this offer rather than the top-ranked one").count():
        page.get_by_label("Why this offer rather than the top-ranked one").fill("Closest to home")
    page.get_by_role("button", name="Confirm the award").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "awarded to Amber Homecare Ltd (Preston branch)"
    )
    screenshot(page, "brokerage-package-awarded")
    assert Offer.objects.get(package=package, branch__ref="A1").outcome == "awarded"

    page.goto(f"{live_server.url}/packages/")
    nowhere = Package.objects.get(reference="PKG-NOWHERE")
    page.goto(f"{live_server.url}/packages/{nowhere.pk}/")
    page.get_by_role("button", name="Send now").click()
    expect(page.locator(".govuk-warning-text")).to_contain_text("No active branch covers ward")
    screenshot(page, "brokerage-send-now-uncovered")
    # Refused, it stays a draft; queued, the next daily distribution flags it to navigators (P4).
    nowhere.refresh_from_db()
    assert nowhere.status == "draft"
    Package.objects.filter(pk=nowhere.pk).update(status="queued")
    distribute_packages(as_of=timezone.now())
    page.goto(f"{live_server.url}/packages/")
    expect(page.get_by_role("table")).to_contain_text("No branch covers this ward")
    screenshot(page, "brokerage-queue")
    problems.assert_none()


def test_provider_pages_fit_a_phone(browser, live_server, market, alice):
    from brokerage.distribution import distribute_packages

    PackageFactory(reference="PKG-PHONE", ward=market, status="queued")
    distribute_packages(as_of=timezone.now() - timedelta(hours=2))
    offer = Offer.objects.get(branch__ref="A1")
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    try:
        signed_in(page, live_server, alice)
        page.goto(f"{live_server.url}/offers/")
        assert_no_horizontal_overflow(page)
        screenshot(page, "phone-brokerage-inbox")
        page.goto(f"{live_server.url}/offers/{offer.pk}/")
        page.get_by_label("Unable to Accept").check()
        assert_no_horizontal_overflow(page)
        screenshot(page, "phone-brokerage-offer")
        page.goto(f"{live_server.url}/offers/history/")
        assert_no_horizontal_overflow(page)
        screenshot(page, "phone-brokerage-history")
    finally:
        context.close()


def test_branch_user_gets_404_for_another_providers_offer(page, live_server, market, bob):
    from brokerage.distribution import distribute_packages

    PackageFactory(reference="PKG-A", ward=market, status="queued")
    distribute_packages(as_of=timezone.now())
    theirs = Offer.objects.get(branch__ref="A1")
    signed_in(page, live_server, bob)
    response = page.goto(f"{live_server.url}/offers/{theirs.pk}/")
    assert response.status == 404
    response = page.goto(f"{live_server.url}/packages/")
    assert response.status == 403
