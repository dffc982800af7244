"""K10 in Chromium: a branch challenges a No Response from its offer page (an empty reason refused
with the error summary and an "Error:" title), a contract manager decides it in the queue beside
the offer's delivered / seen / answered record (a decision without a comment refused the same
way), and the provider's offer page shows the result and its rate before and after. Each state
passes axe at desktop and phone width.

Screenshots go to screenshots/challenge-*.png for a human to look at."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from brokerage.models import Offer
from kpi.models import Challenge
from notifications.models import Notification
from tests.factories import PackageFactory

from .conftest import (
    DESKTOP,
    PHONE,
    _watched_page,
    assert_accessible,
    assert_page_never_scrolls_sideways,
    screenshot,
    signed_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def missed(ward, branch_a1, branch_b1):
    """Package ASC-2026-0170 sent to a1 four days ago, opened by the branch, never answered (No
    Response); b1 answered it Offer Made. a1 answered another package the same day, so its rate
    for the quarter is 50% before the challenge."""
    sent = timezone.now() - timedelta(days=4)
    answered = PackageFactory(reference="ASC-2026-0169", ward=ward, status="offered")
    Offer.objects.create(
        package=answered,
        branch=branch_a1,
        provider=branch_a1.provider,
        sent_at=sent,
        deadline=sent + timedelta(days=3),
        placement_response="unable_to_accept",
        reason="call_times",
        responded_at=sent + timedelta(hours=2),
    )
    package = PackageFactory(reference="ASC-2026-0170", ward=ward, status="offered")
    Offer.objects.create(
        package=package,
        branch=branch_b1,
        provider=branch_b1.provider,
        sent_at=sent,
        deadline=sent + timedelta(days=3),
        placement_response="offer_made",
        responded_at=sent + timedelta(hours=5),
        offered_start_date=timezone.localdate(),
    )
    return Offer.objects.create(
        package=package,
        branch=branch_a1,
        provider=branch_a1.provider,
        sent_at=sent,
        deadline=sent + timedelta(days=3),
        placement_response="no_response",
        closed_at=sent + timedelta(days=3),
        viewed_at=sent + timedelta(days=2, hours=20),
    )


def _open(browser, problems, viewport):
    if viewport == "phone":
        return _watched_page(
            browser, problems, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
        )
    return _watched_page(browser, problems, viewport=DESKTOP)


def _check(page, name: str, *, error: bool) -> None:
    screenshot(page, name)
    assert page.title().startswith("Error: ") == error, page.title()
    assert (page.locator(".govuk-error-summary").count() > 0) == error
    assert_page_never_scrolls_sideways(page)
    assert_accessible(page)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_challenge_then_decide_then_see_the_result(
    browser, live_server, problems, missed, alice, carl, viewport
):
    context, page = _open(browser, problems, viewport)
    try:
        signed_in(page, live_server, alice)
        page.goto(f"{live_server.url}/offers/{missed.pk}/")
        page.get_by_role("button", name="Challenge this No Response").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Challenge this No Response")
        _check(page, f"challenge-form-{viewport}", error=False)

        page.get_by_role("button", name="Send the challenge").click()
        expect(page.locator(".govuk-error-summary")).to_contain_text(
            "Say why this No Response is wrong"
        )
        _check(page, f"challenge-form-errors-{viewport}", error=True)

        page.get_by_label("Why is this No Response wrong?").fill(
            "We phoned the brokerage team at 14:10 on the day to offer a Monday start."
        )
        page.get_by_role("button", name="Send the challenge").click()
        expect(page.get_by_role("heading", name="Challenge of this No Response")).to_be_visible()
        expect(page.locator("#challenge + .govuk-summary-list")).to_contain_text(
            "Awaiting decision"
        )
        _check(page, f"challenge-offer-open-{viewport}", error=False)
        challenge = Challenge.objects.get(offer=missed)

        signed_in(page, live_server, carl)
        page.goto(f"{live_server.url}/kpi/challenges/")
        card = page.locator(f"#challenge-{challenge.pk}")
        expect(card).to_contain_text("We phoned the brokerage team")
        expect(card).to_contain_text("Not answered by the deadline")
        _check(page, f"challenge-queue-{viewport}", error=False)

        card.get_by_role("button", name="Reject").click()
        expect(page.locator(".govuk-error-summary")).to_contain_text(
            "Give the provider a comment on your decision"
        )
        _check(page, f"challenge-queue-errors-{viewport}", error=True)

        page.locator(f"#challenge-{challenge.pk}").get_by_label("Comment for the provider").fill(
            "The call is in the team's log at 14:12: left out of the response rate."
        )
        page.locator(f"#challenge-{challenge.pk}").get_by_role("button", name="Uphold").click()
        expect(page.get_by_text("No challenge is waiting for a decision")).to_be_visible()
        challenge.refresh_from_db()
        assert challenge.status == "upheld"
        assert Notification.objects.about("kpi", "challenge", challenge.pk).count() == 1

        signed_in(page, live_server, alice)
        page.goto(f"{live_server.url}/offers/{missed.pk}/")
        expect(page.locator("#challenge + .govuk-summary-list")).to_contain_text(
            "Excluded after challenge"
        )
        expect(page.locator("#challenge + .govuk-summary-list")).to_contain_text(
            "50.0% before the decision, 100.0% after it"
        )
        _check(page, f"challenge-offer-upheld-{viewport}", error=False)
        problems.assert_none()
    finally:
        context.close()
