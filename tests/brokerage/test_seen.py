"""P11: each offer records when a user of its branch (or organisation) first opened it, beside the
e-mail's delivery state; both sides see delivered / seen / answered. A council user's read, or a
sibling branch's, changes nothing."""

from datetime import timedelta

from django.utils import timezone

from brokerage.models import Offer
from brokerage.seen import offer_seen
from tests.factories import UserFactory


def viewed(offer) -> object:
    return Offer.objects.get(pk=offer.pk).viewed_at


def test_the_branch_opening_its_offer_page_records_the_first_look(client, offer_a1, alice):
    client.force_login(alice)
    client.get(f"/offers/{offer_a1.pk}/")
    first = viewed(offer_a1)
    assert first is not None
    client.get(f"/offers/{offer_a1.pk}/")
    assert viewed(offer_a1) == first  # the first look is kept


def test_the_organisation_reading_it_through_the_api_records_it(api_as, offer_a1, olivia):
    body = api_as(olivia).get(f"/api/v1/offers/{offer_a1.pk}/").json()
    assert body["viewed_at"] is not None
    assert viewed(offer_a1) is not None


def test_a_council_users_read_changes_nothing(client, api_as, offer_a1, nina, carl):
    client.force_login(nina)
    assert client.get(f"/offers/{offer_a1.pk}/").status_code == 200
    assert api_as(carl).get(f"/api/v1/offers/{offer_a1.pk}/").json()["viewed_at"] is None
    assert viewed(offer_a1) is None


def test_a_sibling_branch_or_a_list_read_does_not_count(api_as, offer_a1, branch_a2):
    sibling = UserFactory(
        username="sam", role="provider_branch", provider=branch_a2.provider, branch=branch_a2
    )
    assert offer_seen(offer=offer_a1, actor=sibling) is False
    olivia_list = UserFactory(username="ola", role="provider_org", provider=offer_a1.provider)
    api_as(olivia_list).get("/api/v1/offers/")  # a list is not opening the offer
    assert viewed(offer_a1) is None


def test_two_first_looks_keep_the_earlier(offer_a1, alice, olivia):
    now = timezone.now()
    assert offer_seen(offer=offer_a1, actor=alice, now=now) is True
    stale = Offer.objects.get(pk=offer_a1.pk)
    stale.viewed_at = None  # another request read the row before the first look was saved
    assert offer_seen(offer=stale, actor=olivia, now=now + timedelta(minutes=5)) is False
    assert viewed(offer_a1) == now


def test_both_sides_see_delivered_seen_and_answered_on_the_offer_page(
    client, offer_a1, alice, nina
):
    client.force_login(alice)
    client.get(f"/offers/{offer_a1.pk}/")
    client.force_login(nina)
    page = client.get(f"/offers/{offer_a1.pk}/").content.decode()
    assert "E-mail" in page and "First opened" in page
    assert "Not yet opened by the branch" not in page
    assert "Placement response" in page


def test_an_unopened_offer_says_so(client, offer_b1, nina):
    client.force_login(nina)
    page = client.get(f"/offers/{offer_b1.pk}/").content.decode()
    assert "Not yet opened by the branch" in page
