"""P12 declared capacity: a branch declares "no capacity" until a date at most 28 days ahead (not in
the past) with a note, and lifts it at will; while declared, each package distributed to it is
still offered and recorded, answered at once Unable to Accept, no capacity, marked `auto`, and K1
counts it as a response. Every declaration and lift is audited. Navigators see declarations by
district; contract managers how often each provider declares."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from brokerage.capacity import capacity_active, capacity_declare, capacity_lift
from brokerage.distribution import distribute_packages
from brokerage.models import CapacityDeclaration, Offer
from brokerage.services import offer_respond
from core.errors import InvalidInput, NotAllowed, NotFound
from core.models import AuditEvent
from kpi.selectors import RateWindow, provider_rates
from tests.factories import PackageFactory

from .conftest import MONDAY_11

TODAY = timezone.localdate(MONDAY_11)


def _declare(actor, branch, days=7, now=MONDAY_11, note="Two carers off sick", until=None):
    """Declare until `until`, or `days` after `now`'s date (Europe/London)."""
    until = until or timezone.localdate(now) + timedelta(days=days)
    return capacity_declare(actor=actor, branch=branch, until=until, note=note, now=now)


def _queue(ward, reference="PKG-CAP"):
    return PackageFactory(reference=reference, ward=ward, status="queued", queued_at=MONDAY_11)


# --- declare and lift ---------------------------------------------------------------------------


def test_p12_branch_user_declares_and_lifts_and_both_are_audited(alice, market):
    branch = market["a1"]
    declaration = _declare(alice, branch)
    assert capacity_active(branch=branch, at=MONDAY_11) == declaration
    declared = AuditEvent.objects.get(action="capacity.declared")
    assert declared.actor == alice
    assert declared.after["status"] == "no_capacity"
    assert declared.after["until"] == (TODAY + timedelta(days=7)).isoformat()

    later = MONDAY_11 + timedelta(hours=2)
    assert capacity_lift(actor=alice, branch=branch, now=later) == 1
    assert capacity_active(branch=branch, at=later) is None
    lifted = AuditEvent.objects.get(action="capacity.lifted")
    assert lifted.actor == alice and lifted.after["status"] == "open"
    declaration.refresh_from_db()
    assert declaration.lifted_at == later and declaration.lifted_by == alice


def test_p12_organisation_user_declares_for_any_of_its_branches(olivia, market):
    _declare(olivia, market["a2"])
    assert capacity_active(branch=market["a2"], at=MONDAY_11) is not None


def test_p12_a_new_declaration_replaces_the_open_one(alice, market):
    first = _declare(alice, market["a1"], days=3)
    second = _declare(alice, market["a1"], days=10, now=MONDAY_11 + timedelta(hours=1))
    first.refresh_from_db()
    assert first.lifted_at is not None
    assert capacity_active(branch=market["a1"], at=MONDAY_11 + timedelta(hours=2)) == second


def test_p12_lifting_an_open_branch_changes_nothing(alice, market):
    assert capacity_lift(actor=alice, branch=market["a1"], now=MONDAY_11) == 0
    assert not AuditEvent.objects.filter(action="capacity.lifted").exists()


@pytest.mark.parametrize(
    ("days", "message"), [(-1, "past"), (29, "over 28 days ahead")], ids=["past", "29-days"]
)
def test_p12_until_past_or_over_28_days_is_refused(alice, market, days, message):
    with pytest.raises(InvalidInput) as refused:
        _declare(alice, market["a1"], days=days)
    assert message in refused.value.errors["until"][0]
    assert not CapacityDeclaration.objects.exists()


def test_p12_until_today_and_28_days_ahead_are_accepted(alice, market):
    _declare(alice, market["a1"], days=0)
    _declare(alice, market["a1"], days=28)
    assert CapacityDeclaration.objects.count() == 2


def test_p12_council_may_not_declare_and_another_provider_gets_not_found(nina, bob, market):
    with pytest.raises(NotAllowed):
        _declare(nina, market["a1"])
    with pytest.raises(NotFound):
        _declare(bob, market["a1"])
    with pytest.raises(NotFound):
        capacity_lift(actor=bob, branch=market["a1"], now=MONDAY_11)
    assert not CapacityDeclaration.objects.exists()


def test_p12_branch_user_cannot_declare_for_a_sibling_branch(alice, market):
    with pytest.raises(NotFound):
        _declare(alice, market["a2"])


def test_p12_declarations_are_scoped_a1(alice, olivia, bob, nina, market):
    _declare(alice, market["a1"])
    _declare(bob, market["b1"])
    assert CapacityDeclaration.objects.visible_to(alice).count() == 1
    assert CapacityDeclaration.objects.visible_to(olivia).get().branch == market["a1"]
    assert CapacityDeclaration.objects.visible_to(bob).get().branch == market["b1"]
    assert CapacityDeclaration.objects.visible_to(nina).count() == 2


# --- distribution ---------------------------------------------------------------------------------


def test_p12_distribution_answers_a_declared_branchs_new_offer_and_not_anothers(
    alice, market, ward
):
    _declare(alice, market["a1"])
    package = _queue(ward)
    distribute_packages(as_of=MONDAY_11 + timedelta(hours=1))
    a1 = package.offers.get(branch=market["a1"])
    b1 = package.offers.get(branch=market["b1"])
    assert (a1.placement_response, a1.reason, a1.auto) == ("unable_to_accept", "no_capacity", True)
    assert a1.responded_at == MONDAY_11 + timedelta(hours=1)
    assert a1.first_responded_at == a1.sent_at  # K11: answered at once, 0 hours
    assert a1.outcome == "open"  # still offered and recorded
    assert (b1.placement_response, b1.auto) == (None, False)
    assert a1.emails.exists()  # the e-mail still goes out: it is offered like any other


def test_p12_a_declaration_made_after_the_run_or_lifted_before_it_does_not_apply(
    alice, market, ward
):
    _declare(alice, market["a1"], now=MONDAY_11 + timedelta(hours=3))
    package = _queue(ward)
    distribute_packages(as_of=MONDAY_11 + timedelta(hours=1))
    assert package.offers.get(branch=market["a1"]).auto is False


def test_p12_a_declaration_ending_yesterday_is_not_applied(alice, market, ward):
    # Declared a week earlier until yesterday: it no longer applies today.
    _declare(
        alice, market["a1"], until=TODAY - timedelta(days=1), now=MONDAY_11 - timedelta(days=7)
    )
    package = _queue(ward)
    distribute_packages(as_of=MONDAY_11)
    offer = package.offers.get(branch=market["a1"])
    assert (offer.placement_response, offer.auto) == (None, False)


def test_p12_a_declaration_ending_today_is_applied(alice, market, ward):
    _declare(alice, market["a1"], until=TODAY, now=MONDAY_11 - timedelta(days=7))
    package = _queue(ward)
    distribute_packages(as_of=MONDAY_11 + timedelta(hours=12))  # 23:00, still its last day
    assert package.offers.get(branch=market["a1"]).auto is True


def test_p12_a_lifted_declaration_no_longer_applies(alice, market, ward):
    _declare(alice, market["a1"])
    capacity_lift(actor=alice, branch=market["a1"], now=MONDAY_11 + timedelta(minutes=5))
    package = _queue(ward)
    distribute_packages(as_of=MONDAY_11 + timedelta(hours=1))
    assert package.offers.get(branch=market["a1"]).placement_response is None


def test_p12_k1_counts_an_automatic_answer_as_a_response(alice, market, ward, provider_a):
    _declare(alice, market["a1"])
    _queue(ward)
    distribute_packages(as_of=MONDAY_11 + timedelta(hours=1))
    window = RateWindow.rolling(now=MONDAY_11 + timedelta(days=1))
    (row,) = [r for r in provider_rates(window) if r.provider_id == provider_a.pk]
    assert (row.offers, row.responded) == (1, 1)


def test_p12_a_declaration_ending_mid_distribution_holds_for_the_whole_run(
    alice, market, ward, monkeypatch
):
    """A run is as of its moment: every offer it sends while a1's declaration is in force is
    answered, even if the declaration is lifted (or its last day ends) while later batches are
    still being offered; the next run, after it ended, answers none. One package a batch."""
    from brokerage import distribution

    declaration = _declare(alice, market["a1"], until=TODAY, now=MONDAY_11 - timedelta(days=7))
    for i in range(3):
        _queue(ward, reference=f"PKG-MID-{i}")
    monkeypatch.setattr(distribution, "BATCH", 1)
    as_of = MONDAY_11.replace(hour=23, minute=59)  # the declaration's last minute
    batches = []
    real_batch = distribution._distribute_batch

    def batch_then_lift(*args):
        batches.append(real_batch(*args))
        if len(batches) == 1:  # after the first batch: lifted a minute later, mid-run
            capacity_lift(actor=alice, branch=market["a1"], now=as_of + timedelta(minutes=1))
        return batches[-1]

    monkeypatch.setattr(distribution, "_distribute_batch", batch_then_lift)
    result = distribute_packages(as_of=as_of)
    assert result.packages == 3 and len(batches) >= 3
    declaration.refresh_from_db()
    assert declaration.lifted_at == as_of + timedelta(minutes=1)
    a1 = Offer.objects.filter(branch=market["a1"], sent_at=as_of)
    assert (
        sorted(a1.values_list("auto", "reason", "first_responded_at"))
        == [(True, "no_capacity", as_of)] * 3
    )
    assert not Offer.objects.filter(branch=market["b1"], auto=True).exists()
    monkeypatch.setattr(distribution, "_distribute_batch", real_batch)
    later = _queue(ward, reference="PKG-AFTER")
    distribute_packages(as_of=as_of + timedelta(minutes=2))  # the next day, and lifted
    assert later.offers.get(branch=market["a1"]).placement_response is None


def test_p12_k11_counts_an_automatic_answer_from_distribution_at_0_hours(
    alice, market, ward, provider_a
):
    """P12 answers count as responses (K1), so the median hours to answer (K11) counts them at 0:
    a1's answers at 0 (automatic), 4 and 6 hours have the median 4 (5 if it were left out)."""
    _declare(alice, market["a1"])
    _queue(ward, reference="PKG-AUTO")
    distribute_packages(as_of=MONDAY_11 + timedelta(hours=1))
    capacity_lift(actor=alice, branch=market["a1"], now=MONDAY_11 + timedelta(hours=2))
    sent = MONDAY_11 + timedelta(hours=3)
    for hours in (4, 6):
        package = _queue(ward, reference=f"PKG-{hours}H")
        distribute_packages(as_of=sent, package_ids=[package.pk])
        offer_respond(
            actor=alice,
            offer=Offer.objects.get(package=package, branch=market["a1"]),
            response="unable_to_accept",
            reason="no_capacity",
            now=sent + timedelta(hours=hours),
        )
    assert Offer.objects.filter(branch=market["a1"], auto=True).count() == 1
    window = RateWindow.rolling(now=MONDAY_11 + timedelta(days=2))
    (row,) = [r for r in provider_rates(window) if r.provider_id == provider_a.pk]
    assert (row.offers, row.responded) == (3, 3)
    assert row.median_hours == pytest.approx(4)


# --- API ------------------------------------------------------------------------------------------


def _put(client, branch, body):
    return client.put(reverse("branch-capacity", kwargs={"pk": branch.pk}), body, format="json")


def test_p12_api_declare_and_lift(api_as, alice, market):
    until = (timezone.localdate() + timedelta(days=5)).isoformat()
    response = _put(
        api_as(alice), market["a1"], {"status": "no_capacity", "until": until, "note": "Sick"}
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "no_capacity", "until": until, "note": "Sick"}
    response = _put(api_as(alice), market["a1"], {"status": "open"})
    assert response.json() == {"status": "open", "until": None, "note": ""}
    assert AuditEvent.objects.filter(action__startswith="capacity.").count() == 2


@pytest.mark.parametrize(("days", "message"), [(-1, "past"), (29, "over 28 days ahead")])
def test_p12_api_until_out_of_range_is_400_on_until(api_as, alice, market, days, message):
    until = (timezone.localdate() + timedelta(days=days)).isoformat()
    response = _put(
        api_as(alice), market["a1"], {"status": "no_capacity", "until": until, "note": "x"}
    )
    assert response.status_code == 400
    assert message in response.json()["until"][0]


def test_p12_api_bob_cannot_see_or_change_provider_as_capacity(api_as, alice, bob, market):
    _declare(alice, market["a1"], now=timezone.now(), days=3)
    response = _put(api_as(bob), market["a1"], {"status": "open"})
    assert response.status_code == 404
    assert capacity_active(branch=market["a1"]) is not None
    assert api_as(bob).get(reverse("capacity-list")).status_code == 403
    assert _put(api_as(bob), market["b1"], {"status": "open"}).status_code == 200


def test_p12_api_council_may_not_declare_but_reads_the_list(api_as, alice, nina, carl, market):
    assert _put(api_as(nina), market["a1"], {"status": "open"}).status_code == 403
    _declare(alice, market["a1"], now=timezone.now(), days=3)
    body = api_as(carl).get(reverse("capacity-list")).json()
    assert body["count"] == 3
    rows = {r["branch"]["ref"]: r for r in body["results"]}
    assert rows["A1"]["status"] == "no_capacity" and rows["A1"]["note"] == "Two carers off sick"
    assert rows["A1"]["provider"] == {"ref": "PA", "name": "Amber Homecare Ltd"}
    assert rows["B1"] == {
        "branch": {"id": market["b1"].pk, "ref": "B1", "name": "Lancaster"},
        "provider": {"ref": "PB", "name": "Birch Care Services"},
        "status": "open",
        "until": None,
        "note": "",
    }


def test_p12_api_capacity_list_reads_a_page_of_branches_not_all_of_them(
    api_as, carl, market, django_assert_num_queries
):
    """Issue 13: the council's list reads one page of branches (by provider and branch name) and
    that page's declarations, the same queries for 3 branches or 60, and a declaration shows on
    whichever page its branch falls (a national market has 10,000 branches: 0.2-0.37 s -> 15 ms)."""
    from providers.models import Role
    from tests.factories import BranchFactory, ProviderFactory, UserFactory

    client = api_as(carl)
    client.get(reverse("capacity-list"))  # the token's first use stamps it
    with django_assert_num_queries(4):  # token, count, page, the page's declarations
        client.get(reverse("capacity-list"))
    zulu = ProviderFactory(ref="PZ", name="Zulu Care")
    branches = [
        BranchFactory(provider=zulu, ref=f"Z{i:02}", name=f"Zulu {i:02}") for i in range(57)
    ]
    zed = UserFactory(role=Role.PROVIDER_BRANCH, provider=zulu, branch=branches[-1])
    _declare(zed, branches[-1], now=timezone.now(), days=3)
    with django_assert_num_queries(4) as queries:
        first = client.get(reverse("capacity-list")).json()
    rows = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "providers')]
    assert rows and all("LIMIT" in sql for sql in rows)  # never every branch
    assert first["count"] == 60 and len(first["results"]) == 50
    assert all(row["status"] == "open" for row in first["results"])
    last = client.get(reverse("capacity-list") + "?page=2").json()["results"]
    assert [row["branch"]["ref"] for row in last][-1] == "Z56"
    assert last[-1]["status"] == "no_capacity" and last[-1]["note"] == "Two carers off sick"


def test_p12_api_offers_carry_auto(api_as, alice, market, ward):
    _declare(alice, market["a1"])
    _queue(ward)
    distribute_packages(as_of=MONDAY_11 + timedelta(hours=1))
    results = api_as(alice).get(reverse("offer-list")).json()["results"]
    assert [r["auto"] for r in results] == [True]


# --- pages ----------------------------------------------------------------------------------------


def _date_post(day, note="Carers on leave"):
    return {
        "status": "no_capacity",
        "until-day": day.day,
        "until-month": day.month,
        "until-year": day.year,
        "note": note,
    }


def test_p12_branch_page_declares_and_lifts(client, alice, market):
    client.force_login(alice)
    url = reverse("brokerage:branch-capacity", kwargs={"pk": market["a1"].pk})
    assert "Declare no capacity" in client.get(url).content.decode()
    day = timezone.localdate() + timedelta(days=10)
    response = client.post(url, _date_post(day), follow=True)
    assert f"No capacity declared until {day.day} {day:%B %Y}" in response.content.decode()
    assert capacity_active(branch=market["a1"]) is not None
    client.post(url, {"status": "open"})
    assert capacity_active(branch=market["a1"]) is None


@pytest.mark.parametrize(("days", "message"), [(-1, "past"), (29, "over 28 days ahead")])
def test_p12_branch_page_shows_the_date_error_in_the_summary(client, alice, market, days, message):
    client.force_login(alice)
    url = reverse("brokerage:branch-capacity", kwargs={"pk": market["a1"].pk})
    response = client.post(url, _date_post(timezone.localdate() + timedelta(days=days)))
    page = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in page and message in page
    assert 'href="#id_until-day"' in page
    assert not CapacityDeclaration.objects.exists()


def test_p12_bob_gets_404_on_provider_as_capacity_page_and_council_403(client, bob, nina, market):
    url = reverse("brokerage:branch-capacity", kwargs={"pk": market["a1"].pk})
    client.force_login(bob)
    assert client.get(url).status_code == 404
    assert client.post(url, {"status": "open"}).status_code == 404
    client.force_login(nina)
    assert client.get(url).status_code == 403


def test_p12_navigators_see_declared_capacity_by_district(client, alice, nina, market):
    _declare(alice, market["a1"], now=timezone.now(), days=3, note="Flu outbreak")
    client.force_login(nina)
    page = client.get(reverse("brokerage:capacity")).content.decode()
    assert "Preston" in page and "Flu outbreak" in page
    assert "1 of 3 branches covering Preston" in page  # a1, b1 (Fishwick), a2 (Ribbleton)
    assert "How often providers declare" not in page  # contract managers' table


def test_p12_contract_managers_see_days_declared_and_offers_auto_answered(
    client, alice, carl, market, ward
):
    _declare(alice, market["a1"], days=4)
    _queue(ward)
    distribute_packages(as_of=MONDAY_11 + timedelta(hours=1))
    client.force_login(carl)
    response = client.get(reverse("brokerage:capacity"))
    rows = {r.provider.ref: r for r in response.context["providers"]}
    assert (rows["PA"].declarations, rows["PA"].days, rows["PA"].auto_answered) == (1, 5, 1)
    assert "PB" not in rows


def test_p12_providers_may_not_see_the_council_capacity_page(client, alice):
    client.force_login(alice)
    assert client.get(reverse("brokerage:capacity")).status_code == 403


def test_p12_offer_page_says_it_was_answered_automatically(client, alice, market, ward):
    _declare(alice, market["a1"])
    _queue(ward)
    distribute_packages(as_of=MONDAY_11 + timedelta(hours=1))
    offer = Offer.objects.get(branch=market["a1"])
    client.force_login(alice)
    page = client.get(reverse("brokerage:offer", kwargs={"pk": offer.pk})).content.decode()
    assert "Answered automatically: no capacity declared" in page


@pytest.mark.postgres
@pytest.mark.django_db
def test_P12_auto_answered_counts_read_the_partial_index_not_every_offer():
    """The capacity page's offers auto-answered per provider come from the partial index of
    auto-answered offers (offer_auto_answered): with sequential scans priced out, PostgreSQL's
    plan reads that index, so the count never scans the national market's offers."""
    from django.db import connection

    from brokerage.capacity import auto_answered_by_provider

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = auto_answered_by_provider().explain()
        cursor.execute("SET LOCAL enable_seqscan = on")
    assert "offer_auto_answered" in plan, plan
