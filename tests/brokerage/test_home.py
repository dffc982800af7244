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


def test_ready_to_award_counts_packages_with_an_offer_made_in_their_current_round(
    client, nina, market, ward, branch_a1, branch_b1, django_assert_num_queries
):
    """The navigator's 'ready to award' panel: offered packages with an offer made in their
    current round (L4: a package moving in a new round is not ready on its old award), counted
    in one query over the packages."""
    from datetime import timedelta

    from django.utils import timezone

    from brokerage import services
    from brokerage.home import panels

    from .test_batches import START, awarded_to_a

    made, waiting = (PackageFactory(ward=ward, status="queued") for _ in range(2))
    for package in (made, waiting):
        services.package_send_now(actor=None, package=package, now=MONDAY_11)
    services.offer_respond(
        actor=None,
        offer=made.offers.get(branch=branch_b1),
        response="offer_made",
        start_date=START,
        now=MONDAY_11,
    )
    moving = awarded_to_a(ward, branch_a1, "MOVE-H")
    (batch,) = services.batches_create(actor=nina, package_ids=[moving.pk], reason="A leaves")
    services.batch_send(actor=nina, batch=batch)

    def ready() -> int:
        with django_assert_num_queries(1):
            found = {p["text"]: p["count"] for p in panels(nina)}
        return found["with offers made, ready to award"]

    assert ready() == 1  # `made`; not `waiting`, nor `moving` on its round-1 award
    services.offer_respond(
        actor=None,
        offer=moving.offers.get(branch=branch_b1, round=2),
        response="offer_made",
        start_date=timezone.localdate() + timedelta(days=7),
    )
    assert ready() == 2
    client.force_login(nina)
    assert client.get(reverse("home")).status_code == 200
