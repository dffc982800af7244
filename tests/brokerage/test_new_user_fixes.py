"""What a new user ran into (issue 8): dates that cannot be right (L1, L3), the offer history CSV in
codes and microseconds (I4), "1 hours" and a doubled full stop on the cancelled offer (L3), and
a date hint that showed a day already past."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from brokerage import services
from brokerage.models import Offer
from brokerage.wording import hours, sentence

from .conftest import MONDAY_11

pytestmark = pytest.mark.django_db

ANSWERED = MONDAY_11 + timedelta(hours=2)
AWARDED = MONDAY_11 + timedelta(days=1)  # Tuesday 3 March 2026, 11:00 GMT
# 23:30 UTC on 15 June 2026 is 00:30 BST on 16 June: London's today is the 16th, UTC's the 15th.
SUMMER_NEAR_MIDNIGHT = datetime(2026, 6, 15, 23, 30, tzinfo=UTC)


def today() -> date:
    return timezone.localdate()


def as_user(client, user):
    client.force_login(user)
    return client


def date_post(name: str, day: date) -> dict[str, str]:
    return {
        f"{name}-day": str(day.day),
        f"{name}-month": str(day.month),
        f"{name}-year": str(day.year),
    }


def open_now(offer: Offer) -> Offer:
    """Push the offer's deadline into the future so the window is open at the real now."""
    Offer.objects.filter(pk=offer.pk).update(deadline=timezone.now() + timedelta(days=2))
    offer.refresh_from_db()
    return offer


def awarded(offer: Offer, user, navigator, *, at: datetime = AWARDED):
    """The offer's branch makes an offer and the navigator awards it at `at`."""
    services.offer_respond(
        actor=user, offer=offer, response="offer_made", start_date=date(2026, 3, 9), now=ANSWERED
    )
    services.package_award(actor=navigator, package=offer.package, offer=offer, now=at)
    offer.package.refresh_from_db()
    return offer.package


def error_summary(body: str) -> str:
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', body, re.S)
    assert match, "no GOV.UK error summary on the page"
    return match.group(0)


# --- L3: "1 hour", and one full stop after the reason ---------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("1"), "1 hour"),
        (Decimal("1.00"), "1 hour"),
        (Decimal("2"), "2 hours"),
        (Decimal("0.50"), "0.5 hours"),
        (Decimal("4.29"), "4.29 hours"),
        (Decimal("10"), "10 hours"),
        (Decimal("0"), "0 hours"),
    ],
)
def test_L3_claim_hours_are_pluralised(value, shown):
    assert hours(value) == shown


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("Moved away", "Moved away."),
        ("Moved away.", "Moved away."),
        ("  Moved away.  ", "Moved away."),
        ("Died?", "Died?"),
        ("", ""),
    ],
)
def test_a_reason_ends_with_one_full_stop(typed, shown):
    assert sentence(typed) == shown


def test_L3_provider_sees_1_hour_and_one_full_stop_after_the_reason(client, nina, bob, offer_b1):
    package = awarded(offer_b1, bob, nina)
    services.package_cancel(
        actor=nina,
        package=package,
        reason="Went into hospital.",
        on=date(2026, 3, 4),
        doorstep=True,
    )
    as_user(client, bob)
    body = client.get(reverse("brokerage:offer", args=[offer_b1.pk])).content.decode()
    assert "Went into hospital. You may claim <strong>1 hour</strong>." in body
    assert "hospital.." not in body and "1 hours" not in body


def test_L3_navigator_sees_1_hour_on_the_package_and_in_the_message(client, nina, bob, offer_b1):
    package = awarded(offer_b1, bob, nina)
    as_user(client, nina)
    cancel_page = client.get(reverse("brokerage:package-cancel", args=[package.pk]))
    assert "<strong>1 hour</strong>" in cancel_page.content.decode()  # the doorstep claim
    response = client.post(
        reverse("brokerage:package-cancel", args=[package.pk]),
        {"reason": "Moved away", "doorstep": "on", **date_post("on", date(2026, 3, 4))},
        follow=True,
    )
    body = response.content.decode()
    assert "The provider may claim 1 hour." in body
    assert re.search(r"Provider may claim</dt><dd[^>]*>1 hour \(the assessment hour\)", body)
    assert "1 hours" not in body and "1.00 hours" not in body
