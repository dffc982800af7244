"""WCAG 2.4.2 on the offer page (issue 8.6): its title starts "Error: " exactly when the page shows
an error summary. A closed offer is not an error: the page says it is closed in place of the form.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from brokerage.distribution import distribute_packages
from brokerage.services import offer_respond, package_award
from tests.factories import PackageFactory

pytestmark = pytest.mark.django_db


def title_of(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1).strip()


def has_error_summary(response) -> bool:
    return "govuk-error-summary" in response.content.decode()


@pytest.fixture
def open_offer(market, ward, branch_a1):
    """Sent an hour ago to a1 and b1: the window is open."""
    package = PackageFactory(reference="PKG-OPEN", ward=ward, status="queued")
    distribute_packages(as_of=timezone.now() - timedelta(hours=1), package_ids=[package.pk])
    return package.offers.get(branch=branch_a1)


def test_an_offer_past_its_deadline_has_no_error_in_its_title(client, alice, offer_a1):
    client.force_login(alice)
    response = client.get(reverse("brokerage:offer", args=[offer_a1.pk]))
    assert title_of(response) == "Offer of package PKG-1 – Homecare brokerage portal"
    assert not has_error_summary(response)
    assert "The deadline to answer passed" in response.content.decode()


def test_an_awarded_offer_has_no_error_in_its_title_for_winner_or_loser(
    client, alice, bob, nina, open_offer, branch_b1
):
    tomorrow = timezone.localdate() + timedelta(days=1)
    offer_respond(actor=alice, offer=open_offer, response="offer_made", start_date=tomorrow)
    package_award(actor=nina, package=open_offer.package, offer=open_offer)
    lost = open_offer.package.offers.get(branch=branch_b1)
    for user, offer in ((alice, open_offer), (bob, lost), (nina, open_offer)):
        client.force_login(user)
        response = client.get(reverse("brokerage:offer", args=[offer.pk]))
        assert not title_of(response).startswith("Error"), user.username
        assert not has_error_summary(response), user.username


def test_an_open_offer_has_no_error_in_its_title(client, alice, open_offer):
    client.force_login(alice)
    response = client.get(reverse("brokerage:offer", args=[open_offer.pk]))
    assert title_of(response) == "Offer of package PKG-OPEN – Homecare brokerage portal"
    assert 'name="response"' in response.content.decode()


def test_an_answer_with_errors_says_error_in_the_title_and_summary(client, alice, open_offer):
    client.force_login(alice)
    response = client.post(
        reverse("brokerage:offer", args=[open_offer.pk]), {"response": "unable_to_accept"}
    )
    assert title_of(response) == "Error: Offer of package PKG-OPEN – Homecare brokerage portal"
    assert has_error_summary(response)


def test_an_answer_sent_after_the_deadline_says_error_in_the_title_and_summary(
    client, alice, offer_a1
):
    client.force_login(alice)
    response = client.post(
        reverse("brokerage:offer", args=[offer_a1.pk]),
        {"response": "unable_to_accept", "reason": "no_capacity"},
    )
    assert title_of(response).startswith("Error: Offer of package PKG-1")
    assert has_error_summary(response)
    assert "The deadline to answer passed" in response.content.decode()
