"""The trusted-review journey in a real browser (R1-R3): a reviewer delegates a package's review;
the branch that holds it completes the form, sees the outcome before submitting, and submits; the
reviewer signs it off; the package's hours and their history change. Each page passes axe, and
screenshots go to screenshots/ for a human to look at."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reviews.models import Review, ReviewStatus
from tests.reviews.conftest import award_to

from .conftest import assert_accessible, screenshot, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reviewer_delegates_provider_completes_reviewer_signs_off(
    browser, page, live_server, problems, branch_a1, alice, rita
):
    package = award_to(branch_a1, hours="10", reference="ASC-2025-0042")
    due = timezone.localdate() + timedelta(days=21)

    # The reviewer finds the package due a review and delegates it, with a due date.
    signed_in(page, live_server, rita)
    page.get_by_role("link", name="See the packages due a review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Packages due a review")
    assert_accessible(page)
    screenshot(page, "reviews-journey-1-due")
    page.get_by_role("link", name="Delegate the review of ASC-2025-0042").click()
    expect(page.get_by_label("Package reference")).to_have_value("ASC-2025-0042")
    page.get_by_label("Day").fill(str(due.day))
    page.get_by_label("Month").fill(str(due.month))
    page.get_by_label("Year").fill(str(due.year))
    assert_accessible(page)
    screenshot(page, "reviews-journey-2-delegate")
    page.get_by_role("button", name="Delegate the review").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "delegated to Amber Homecare Ltd (Preston branch)"
    )
    review = Review.objects.get(package=package)
    assert review.due_on == due

    # The branch sees it with its due date, completes the form and sees the outcome first.
    page.context.clear_cookies()
    signed_in(page, live_server, alice)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Reviews").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your reviews")
    expect(page.get_by_role("cell", name=f"{due:%-d %b %Y}")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "reviews-journey-3-provider-list")
    page.get_by_role("link", name="ASC-2025-0042").click()
    page.get_by_role("button", name="Complete the review").click()
    expect(page.get_by_label("Current hours a week")).to_have_value("10.00")
    page.get_by_label("Proposed hours a week").fill("12")
    page.get_by_label("Outcomes of the review").fill(
        "Mrs E. now needs help at tea time as well as in the morning.\n" * 20
    )
    assert_accessible(page)
    screenshot(page, "reviews-journey-4-form")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before submitting"
    )
    expect(page.locator("#outcome")).to_contain_text("increase of 2 hours a week")
    assert_accessible(page)
    screenshot(page, "reviews-journey-5-check")
    page.get_by_role("button", name="Submit the review").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "submitted to the council for sign-off"
    )
    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED

    # The reviewer signs it off; the package's hours and their history change.
    page.context.clear_cookies()
    signed_in(page, live_server, rita)
    page.get_by_role("link", name="Sign off the reviews providers have submitted").click()
    assert_accessible(page)
    screenshot(page, "reviews-journey-6-reviews-page")
    page.get_by_role("link", name="ASC-2025-0042").click()
    assert_accessible(page)
    screenshot(page, "reviews-journey-7-sign-off")
    page.get_by_role("button", name="Sign off the review").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "its hours are now 12 hours a week"
    )
    page.get_by_role("link", name="history").click()
    expect(page.get_by_role("heading", name="Hours of care a week over time")).to_be_visible()
    history = page.get_by_role("table", name=re.compile("Hours of care a week for package"))
    expect(history).to_contain_text(f"Review {review.pk} signed off: increase")
    assert_accessible(page)
    screenshot(page, "reviews-journey-8-package-history")
    package.refresh_from_db()
    assert package.hours_per_week == Decimal("12")
    problems.assert_none()
