"""L5 in a browser (issue 10): a navigator finds a package on the hard-to-place list (offered two
days ago, no Offer Made), sends it on to a neighbouring ward and then to a whole district; only
branches not yet offered it in this round get an offer, each with a fresh deadline, and the list
empties once one of them makes an offer. axe on each page, the list and the widening form on a
phone too (no sideways scroll), screenshots to look at."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from brokerage.models import Offer
from brokerage.services import offer_respond, package_send_now
from tests.factories import (
    BranchFactory,
    CoverageFactory,
    PackageFactory,
    ProviderFactory,
    WardFactory,
)

from .conftest import assert_accessible, assert_page_never_scrolls_sideways, screenshot, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REFERENCE = "ASC-2026-0311"


@pytest.fixture
def hard_package(branch_a1, branch_a2, branch_b1, ward, nina, alice):
    """Fishwick (Preston) covered by a1 and b1, sent two days ago: a1 is unable, b1 silent.
    Ribbleton (Preston) is covered by a2 and Cedar's c1; Skerton (Lancaster) by Dale's d1."""
    CoverageFactory(branch=branch_a1, ward=ward)
    CoverageFactory(branch=branch_b1, ward=ward)
    ribbleton = WardFactory(code="E05012002", name="Ribbleton", district="Preston")
    skerton = WardFactory(code="E05009001", name="Skerton", district="Lancaster")
    c1 = BranchFactory(
        provider=ProviderFactory(ref="PC", name="Cedar Care"), ref="C1", name="Cedar"
    )
    d1 = BranchFactory(provider=ProviderFactory(ref="PD", name="Dale Care"), ref="D1", name="Dale")
    CoverageFactory(branch=branch_a2, ward=ribbleton)
    CoverageFactory(branch=c1, ward=ribbleton)
    CoverageFactory(branch=d1, ward=skerton)
    package = PackageFactory(reference=REFERENCE, ward=ward, postcode="PR1 4AB", status="queued")
    two_days_ago = timezone.now() - timedelta(days=2)
    package_send_now(actor=nina, package=package, now=two_days_ago)
    offer_respond(
        actor=alice,
        offer=package.offers.get(branch=branch_a1),
        response="unable_to_accept",
        reason="no_capacity",
        now=two_days_ago + timedelta(hours=3),
    )
    return {"package": package, "c1": c1, "d1": d1, "sent": two_days_ago}


def widen_to_district(page, district: str, made: str) -> None:
    """From the package page: Send to more wards, a whole district, and the banner saying `made`."""
    page.get_by_role("button", name="Send to more wards").click()
    page.get_by_label("Or a whole district").select_option(district)
    page.get_by_role("button", name="Send to these wards").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"Package {REFERENCE} sent on to {made}"
    )


def test_navigator_widens_a_hard_to_place_package(
    page, phone_page, live_server, problems, hard_package, branch_a1, branch_a2, branch_b1, nina
):
    package, sent = hard_package["package"], hard_package["sent"]
    signed_in(page, live_server, nina)
    page.goto(f"{live_server.url}/packages/")
    page.get_by_role("link", name="Packages hard to place").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Packages hard to place")
    row = page.get_by_role("row").filter(has_text=REFERENCE)
    expect(row).to_contain_text("Fishwick, Preston")
    expect(row.get_by_role("cell").nth(2)).to_have_text(
        re.compile(r"^(Offered to)?\s*2$")
    )  # offered to a1 and b1
    expect(row.get_by_role("cell").nth(3)).to_have_text(
        re.compile(r"^(Answered)?\s*1$")
    )  # a1 answered, unable
    assert_accessible(page)
    screenshot(page, "hard-to-place")

    row.get_by_role("link", name=f"Send to more wards ({REFERENCE})").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Send it to more wards")
    expect(page.locator("main")).to_contain_text("Offered so far in this round to 2 branches")
    page.get_by_label("Ribbleton (E05012002)").check()
    assert_accessible(page)
    screenshot(page, "widen-form")
    page.get_by_role("button", name="Send to these wards").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"Package {REFERENCE} sent on to 2 more branches"
    )
    assert_accessible(page)
    screenshot(page, "widen-sent-neighbour")

    # Only the branches not yet offered it in this round: a2 and c1, each with a fresh deadline.
    offers = {o.branch_id: o for o in Offer.objects.filter(package=package)}
    c1, d1 = hard_package["c1"], hard_package["d1"]
    assert set(offers) == {branch_a1.pk, branch_b1.pk, branch_a2.pk, c1.pk}
    for new in (offers[branch_a2.pk], offers[c1.pk]):
        assert new.round == 1 and new.sent_at > sent + timedelta(days=1)
        assert new.deadline - new.sent_at == timedelta(hours=72)
    assert offers[branch_b1.pk].deadline == sent + timedelta(hours=72)  # the first ones unchanged
    assert offers[branch_a1.pk].placement_response == "unable_to_accept"

    # Then the whole of Lancaster district: Dale's d1 alone is new; Preston's branches are not
    # offered it again.
    widen_to_district(page, "Lancaster", "1 more branch")
    assert Offer.objects.filter(package=package).count() == 5
    assert Offer.objects.get(package=package, branch=d1).deadline > timezone.now()
    widen_to_district(page, "Preston", "0 more branches")
    assert Offer.objects.filter(package=package).count() == 5
    history = page.locator("table").filter(has_text="Sent to more wards").last
    expect(history).to_contain_text("wards: E05009001")  # the package's history says what
    expect(history).to_contain_text("wards: E05012002")

    # The list on a phone: each package a block, every figure and the action on screen (the
    # table no longer scrolls its Answered column and its link out of sight).
    signed_in(phone_page, live_server, nina)
    phone_page.goto(f"{live_server.url}/packages/hard-to-place/")
    expect(phone_page.locator("main")).to_contain_text(REFERENCE)
    assert_page_never_scrolls_sideways(phone_page)
    action = phone_page.get_by_role("link", name=f"Send to more wards ({REFERENCE})")
    expect(action).to_be_in_viewport()
    box, width = action.bounding_box(), phone_page.viewport_size["width"]
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    assert_accessible(phone_page)
    screenshot(phone_page, "hard-to-place-phone")
    phone_page.goto(f"{live_server.url}/packages/{package.pk}/widen/")
    assert_page_never_scrolls_sideways(phone_page)
    screenshot(phone_page, "widen-form-phone")

    # Cedar makes an offer: the package is no longer hard to place.
    offer_respond(
        actor=None,
        offer=Offer.objects.get(package=package, branch=c1),
        response="offer_made",
        start_date=timezone.localdate() + timedelta(days=3),
    )
    page.goto(f"{live_server.url}/packages/hard-to-place/")
    expect(page.locator("main")).not_to_contain_text(REFERENCE)
    expect(page.locator("main")).to_contain_text(
        "None: every offered package has had an Offer Made"
    )
    problems.assert_none()
