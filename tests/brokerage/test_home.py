"""Home pages show each person the figures that need attention, within their scope (A1)."""

import pytest
from django.urls import reverse

from brokerage.distribution import distribute_packages
from tests.factories import PackageFactory

from .conftest import MONDAY_11

pytestmark = pytest.mark.django_db


def test_navigator_sees_queued_uncovered_and_ready_to_award(
    client, nina, market, ward, other_ward, branch_a2
):
    from providers.models import Branch

    Branch.objects.filter(pk=branch_a2.pk).update(is_active=False)
    PackageFactory(ward=other_ward, status="queued")
    distribute_packages(as_of=MONDAY_11)  # flags the uncovered one
    PackageFactory(ward=ward, status="queued")
    client.force_login(nina)
    panels = {p["text"]: p["count"] for p in client.get(reverse("home")).context["panels"]}
    assert panels["queued for the next distribution"] == 2
    assert panels["queued for wards no branch covers"] == 1


def test_branch_user_counts_only_its_own_open_offers(client, alice, bob, market, ward):
    from datetime import timedelta

    from django.utils import timezone

    PackageFactory(ward=ward, status="queued")
    distribute_packages(as_of=timezone.now() - timedelta(hours=1))
    client.force_login(alice)
    panels = {p["text"]: p["count"] for p in client.get(reverse("home")).context["panels"]}
    assert panels["offers waiting for your answer"] == 1
    client.force_login(bob)
    page = client.get(reverse("home"))
    assert {p["text"]: p["count"] for p in page.context["panels"]}[
        "offers waiting for your answer"
    ] == 1
    assert "offers waiting for your answer" in page.content.decode()
