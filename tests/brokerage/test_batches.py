"""L4 reallocation batches and L5 widening, with the brokerage market of conftest: ward W covered
by a1 (provider A) and b1 (provider B); a2 (provider A) covers the other ward only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.template.defaultfilters import date as dateformat
from django.template.defaultfilters import floatformat
from django.utils import timezone

from brokerage import services
from brokerage.batch_selectors import batch_progress, hard_to_place
from brokerage.models import Offer, Package, ReallocationBatch
from notifications.models import Notification
from tests.factories import BranchFactory, CoverageFactory, PackageFactory, ProviderFactory

from .conftest import MONDAY_11, offer_made_then_awarded

START = MONDAY_11.date() + timedelta(days=7)


def awarded_to_a(ward, offers_of, reference, postcode="PR1 4AB"):
    """A package distributed on MONDAY_11 and awarded to a1 (provider A) in round 1."""
    package = PackageFactory(reference=reference, ward=ward, status="queued", postcode=postcode)
    services.package_send_now(actor=None, package=package, now=MONDAY_11)
    won = package.offers.get(branch=offers_of)
    services.offer_respond(
        actor=None, offer=won, response="offer_made", start_date=START, now=MONDAY_11
    )
    services.package_award(actor=None, package=package, offer=won, now=MONDAY_11)
    package.refresh_from_db()
    return package


@pytest.fixture
def leaving(market, ward, branch_a1):
    """Three packages held by provider A: two in PR1, one in PR2."""
    return [
        awarded_to_a(ward, branch_a1, "MOVE-1", "PR1 4AB"),
        awarded_to_a(ward, branch_a1, "MOVE-2", "PR1 9ZZ"),
        awarded_to_a(ward, branch_a1, "MOVE-3", "PR2 1AA"),
    ]


def test_L4_batches_one_per_postcode_district(nina, leaving, provider_a):
    batches = services.batches_create(
        actor=nina, package_ids=[p.pk for p in leaving], reason="Provider A leaves the PDPS"
    )
    assert [(b.postcode_district, b.packages.count()) for b in batches] == [("PR1", 2), ("PR2", 1)]
    assert {b.from_provider_id for b in batches} == {provider_a.pk}
    with pytest.raises(services.InvalidResponse) as again:
        services.batches_create(actor=nina, package_ids=[leaving[0].pk], reason="Twice")
    assert "Already in a batch not yet sent" in str(again.value.errors["packages"])


def test_L4_not_awarded_or_no_reason_refused_nothing_saved(nina, leaving, queued_package):
    with pytest.raises(services.InvalidResponse) as refused:
        services.batches_create(actor=nina, package_ids=[queued_package.pk], reason="Moving")
    assert "Only awarded packages can move" in str(refused.value.errors)
    with pytest.raises(services.InvalidResponse) as no_reason:
        services.batches_create(actor=nina, package_ids=[leaving[0].pk], reason=" ")
    assert "reason" in no_reason.value.errors
    assert ReallocationBatch.objects.count() == 0


def test_L4_send_starts_a_new_round_without_the_provider_it_moves_from(
    nina, bob, leaving, branch_a1, branch_b1, ward
):
    # A third provider covers the ward too, so each package goes to b1 and c1, never to a1.
    c1 = BranchFactory(provider=ProviderFactory(ref="PC", name="Cedar Care"), ref="C1")
    CoverageFactory(branch=c1, ward=ward)
    (pr1, _pr2) = services.batches_create(
        actor=nina, package_ids=[p.pk for p in leaving], reason="Provider A leaves"
    )
    sent_at = timezone.now()
    assert services.batch_send(actor=nina, batch=pr1, now=sent_at) == 4
    round_two = Offer.objects.filter(batch=pr1)
    assert sorted(round_two.values_list("package__reference", "branch__ref", "round")) == [
        ("MOVE-1", "B1", 2),
        ("MOVE-1", "C1", 2),
        ("MOVE-2", "B1", 2),
        ("MOVE-2", "C1", 2),
    ]
    assert {o.deadline - o.sent_at for o in round_two} == {timedelta(hours=72)}
    moved = Package.objects.get(reference="MOVE-1")
    assert (moved.status, moved.round) == ("offered", 2)
    # The earlier round is unchanged, its award included.
    first = Offer.objects.get(package=moved, round=1, branch=branch_a1)
    assert (first.placement_response, first.outcome) == ("offer_made", "awarded")
    # One e-mail per branch for the batch, listing both its packages.
    emails = Notification.objects.filter(kind="offer", created_at__gte=sent_at - timedelta(1))
    batch_emails = [n for n in emails if n.content_type.model == "batchbranch"]
    assert sorted(n.branch_id for n in batch_emails) == sorted([branch_b1.pk, c1.pk])
    assert all("MOVE-1" in n.body and "MOVE-2" in n.body for n in batch_emails)
    # Each package's line, as the per-offer template wrote it before the batch e-mail was made
    # cheap to render (bench/allocation.py): words, hours, deadline in London time, offer link.
    b1_move1 = round_two.get(package__reference="MOVE-1", branch=branch_b1)
    package = b1_move1.package
    deadline = timezone.localtime(b1_move1.deadline)
    (b1_email,) = [n for n in batch_emails if n.branch_id == branch_b1.pk]
    assert (
        f"1. Package MOVE-1: {ward.name}, {package.get_service_level_display()}, "
        f"{floatformat(package.hours_per_week, '-2')} hours a week, {package.call_pattern}. "
        f"Answer by {dateformat(deadline, 'H:i, l j F Y')}: "
        f"{settings.PORTAL_BASE_URL.rstrip('/')}/offers/{b1_move1.pk}/\n"
    ) in b1_email.body
    assert "\n2. Package MOVE-2: " in b1_email.body
    # Sending twice is refused.
    with pytest.raises(services.BrokerageError):
        services.batch_send(actor=nina, batch=pr1, now=sent_at)
    assert Offer.objects.filter(batch=pr1).count() == 4
    # b1 answers package by package; MOVE-1 is awarded on its own in round 2.
    b1_offer = round_two.get(package=moved, branch=branch_b1)
    offer_made_then_awarded(nina, moved, b1_offer, answered_by=bob)
    moved.refresh_from_db()
    assert moved.status == "awarded" and moved.awarded_offer.branch == branch_b1
    first.refresh_from_db()
    assert first.outcome == "awarded"  # round 1's record stays
    rows = {r["package"].reference: r for r in batch_progress(pr1)}
    assert (rows["MOVE-1"]["offers"], rows["MOVE-1"]["made"]) == (2, 1)
    assert rows["MOVE-1"]["awarded"].branch == branch_b1
    assert rows["MOVE-2"]["awarded"] is None


def test_L4_batch_api_create_send_twice_409_and_provider_scoping(
    api_as, nina, carl, alice, bob, leaving
):
    client = api_as(nina)
    made = client.post(
        "/api/v1/batches/",
        {"reason": "Provider A hands packages back", "packages": [p.pk for p in leaving]},
        format="json",
    )
    assert made.status_code == 201
    batches = made.json()["batches"]
    assert [b["postcode_district"] for b in batches] == ["PR1", "PR2"]
    assert batches[0]["from_provider"]["ref"] == "PA" and batches[0]["status"] == "draft"
    pk = batches[0]["id"]
    assert api_as(carl).post(f"/api/v1/batches/{pk}/send/").status_code == 403
    sent = client.post(f"/api/v1/batches/{pk}/send/")
    assert sent.status_code == 200 and sent.json() == {"offers": 2}
    assert client.post(f"/api/v1/batches/{pk}/send/").status_code == 409
    assert api_as(carl).get(f"/api/v1/batches/{pk}/").json()["status"] == "sent"
    # b1 was offered the batch; a1 (the provider it moves from) was not, so 404 (A1).
    assert api_as(bob).get(f"/api/v1/batches/{pk}/").status_code == 200
    assert api_as(alice).get(f"/api/v1/batches/{pk}/").status_code == 404
    offers = api_as(bob).get(f"/api/v1/offers/?batch={pk}").json()["results"]
    assert {(o["batch"], o["round"]) for o in offers} == {(pk, 2)}
    assert api_as(bob).get("/api/v1/offers/?round=1").json()["count"] == 3
    bad = client.post("/api/v1/batches/", {"reason": "", "packages": []}, format="json")
    assert bad.status_code == 400


def test_L5_widen_offers_only_branches_not_yet_offered_this_round(
    api_as, nina, offered_package, branch_a2, other_ward, ward
):
    client = api_as(nina)
    url = f"/api/v1/packages/{offered_package.pk}/widen/"
    got = client.post(url, {"wards": [other_ward.code, ward.code]}, format="json")
    assert got.status_code == 200 and got.json() == {"offers": 1}
    new = offered_package.offers.get(branch=branch_a2)
    assert new.round == 1 and new.deadline - new.sent_at == timedelta(hours=72)
    assert new.sent_at > MONDAY_11  # a fresh deadline, from now
    assert client.post(url, {"wards": [other_ward.code]}, format="json").json() == {"offers": 0}
    assert client.post(url, {"wards": ["E05999999"]}, format="json").status_code == 400
    assert client.post(url, {"wards": []}, format="json").status_code == 400


def test_L5_widen_refused_unless_offered(api_as, nina, queued_package, other_ward):
    got = api_as(nina).post(
        f"/api/v1/packages/{queued_package.pk}/widen/", {"wards": [other_ward.code]}, format="json"
    )
    assert got.status_code == 409


def test_L5_hard_to_place_lists_no_offer_made_after_a_day(offered_package, offer_a1, alice):
    assert list(hard_to_place(MONDAY_11 + timedelta(hours=23))) == []
    assert list(hard_to_place(MONDAY_11 + timedelta(hours=25))) == [offered_package]
    services.offer_respond(
        actor=alice,
        offer=offer_a1,
        response="offer_made",
        start_date=START,
        now=MONDAY_11 + timedelta(hours=2),
    )
    assert list(hard_to_place(MONDAY_11 + timedelta(hours=25))) == []


def _count_queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_L4_pages_create_send_progress_and_branch_view(
    client, nina, bob, leaving, ward, branch_a1, provider_a
):
    client.force_login(nina)
    found = client.get(f"/batches/new/?provider={provider_a.ref}").content.decode()
    assert "MOVE-1" in found and "MOVE-3" in found
    refused = client.post(
        f"/batches/new/?provider={provider_a.ref}", {"packages": [leaving[0].pk], "reason": ""}
    ).content.decode()
    assert "Say why these packages must move" in refused
    made = client.post(
        f"/batches/new/?provider={provider_a.ref}",
        {"packages": [p.pk for p in leaving], "reason": "Amber leaves"},
        follow=True,
    ).content.decode()
    assert "2 batches made" in made
    pr1 = ReallocationBatch.objects.get(postcode_district="PR1")
    page = client.get(f"/batches/{pr1.pk}/").content.decode()
    assert "Send the batch" in page and "MOVE-2" in page
    sent = client.post(f"/batches/{pr1.pk}/send/", follow=True).content.decode()
    assert "offers made, a new round for each package" in sent
    again = client.post(f"/batches/{pr1.pk}/send/", follow=True).content.decode()
    assert "has already been sent" in again
    # The batch page's queries do not grow with its packages.
    few = _count_queries(client, f"/batches/{pr1.pk}/")
    more = [awarded_to_a(ward, branch_a1, f"MORE-{i}") for i in range(4)]
    (extra,) = services.batches_create(actor=nina, package_ids=[p.pk for p in more], reason="x")
    services.batch_send(actor=nina, batch=extra)
    assert _count_queries(client, f"/batches/{extra.pk}/") == few
    # The branch sees its offers in the batch together, and in its inbox.
    client.force_login(bob)
    view = client.get(f"/batches/{pr1.pk}/").content.decode()
    assert "Packages to move in PR1" in view and "MOVE-1" in view and "MOVE-2" in view
    assert "MOVE-3" not in view
    inbox = client.get("/offers/").content.decode()
    assert f"Reallocation batch {pr1.pk} in PR1" in inbox
    assert (
        f'href="/batches/{pr1.pk}/">Batch {pr1.pk}<span class="govuk-visually-hidden"> for MOVE-1'
        in inbox
    )
    assert _count_queries(client, f"/batches/{pr1.pk}/") == _count_queries(
        client, f"/batches/{extra.pk}/"
    )


def test_L5_widen_page_and_hard_to_place_page(client, nina, offered_package, branch_a2, other_ward):
    client.force_login(nina)
    page = client.get(f"/packages/{offered_package.pk}/widen/").content.decode()
    assert "Ribbleton" in page and "Or a whole district" in page
    done = client.post(
        f"/packages/{offered_package.pk}/widen/", {"wards": [other_ward.code]}, follow=True
    ).content.decode()
    assert "sent on to 1 more branch" in done
    empty = client.post(f"/packages/{offered_package.pk}/widen/", {}).content.decode()
    assert "Choose at least one ward" in empty
    listed = client.get("/packages/hard-to-place/").content.decode()
    assert offered_package.reference in listed  # sent on MONDAY_11, nobody made an offer
