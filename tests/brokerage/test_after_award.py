"""After award (issue 11): ending a package (P2), the hours history (R3) and the hours in force
on each day for the commissioned-hours figure (K8), and the claims list (L3) with its scoping (A1)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from brokerage import services
from brokerage.hours import hours_history
from brokerage.models import Claim, ClaimKind, PackageStatus
from kpi.figures import commissioned_hours
from tests.factories import CoverageFactory, PackageFactory, UserFactory

from .conftest import MONDAY_11
from .test_new_user_fixes import AWARDED, awarded, date_post, error_summary

pytestmark = pytest.mark.django_db
LONDON = timezone.get_default_timezone()


def at(y, m, d, h=12) -> datetime:
    return datetime(y, m, d, h, tzinfo=LONDON)


# --- P2: ending a package ----------------------------------------------------------------------


def test_P2_end_records_the_date_and_reason_and_no_claim(offer_a1, alice, nina):
    package = awarded(offer_a1, alice, nina)
    package = services.package_end(
        actor=nina, package=package, reason="Care plan completed", ended_on=date(2026, 4, 30)
    )
    assert package.status == PackageStatus.ENDED
    assert (package.ended_on, package.end_reason) == (date(2026, 4, 30), "Care plan completed")
    assert package.claim_hours is None and not Claim.objects.exists()


@pytest.mark.parametrize(
    ("day", "reason", "field", "message"),
    [
        (date(2026, 3, 2), "Done", "ended_on", "same as or after 3 March 2026"),
        (date.today() + timedelta(days=1), "Done", "ended_on", "today or in the past"),
        (None, "Done", "ended_on", "Enter the date"),
        (date(2026, 4, 1), "  ", "reason", "Say why"),
    ],
)
def test_P2_end_refuses_a_bad_date_or_no_reason_and_changes_nothing(
    offer_a1, alice, nina, day, reason, field, message
):
    package = awarded(offer_a1, alice, nina)
    with pytest.raises(services.InvalidResponse) as caught:
        services.package_end(actor=nina, package=package, reason=reason, ended_on=day)
    assert message in caught.value.errors[field][0]
    package.refresh_from_db()
    assert package.status == PackageStatus.AWARDED and package.ended_on is None


def test_P2_only_an_awarded_package_ends(offered_package, nina):
    with pytest.raises(services.BrokerageError):
        services.package_end(
            actor=nina, package=offered_package, reason="x", ended_on=date(2026, 3, 3)
        )


def test_P2_api_end_takes_reason_and_date_and_answers_ended(api_as, offer_a1, alice, nina):
    package = awarded(offer_a1, alice, nina)
    url = f"/api/v1/packages/{package.pk}/end/"
    early = api_as(nina).post(url, {"reason": "Done", "date": "2026-03-01"}, format="json")
    assert early.status_code == 400 and "date" in early.json()
    response = api_as(nina).post(url, {"reason": "Done", "date": "2026-04-30"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["ended_on"], body["end_reason"]) == ("ended", "2026-04-30", "Done")
    again = api_as(nina).post(url, {"reason": "Done", "date": "2026-04-30"}, format="json")
    assert again.status_code == 409


def test_P2_api_end_is_the_navigators(api_as, offer_a1, alice, nina, rita, carl):
    package = awarded(offer_a1, alice, nina)
    url = f"/api/v1/packages/{package.pk}/end/"
    for user in (rita, carl):
        assert api_as(user).post(url, {"reason": "x", "date": "2026-04-30"}).status_code == 403
    assert api_as(alice).post(url, {"reason": "x", "date": "2026-04-30"}).status_code == 403


def test_P2_end_page_ends_and_shows_it_on_the_package_page(client, offer_a1, alice, nina):
    package = awarded(offer_a1, alice, nina)
    client.force_login(nina)
    page = client.get(reverse("brokerage:package", args=[package.pk])).content.decode()
    assert reverse("brokerage:package-end", args=[package.pk]) in page
    response = client.post(
        reverse("brokerage:package-end", args=[package.pk]),
        {"reason": "Care plan completed", **date_post("ended_on", date(2026, 4, 30))},
        follow=True,
    )
    body = response.content.decode()
    assert "Package PKG-1 ended" in body and "30 April 2026: Care plan completed" in body


def test_P2_end_page_shows_a_date_before_the_award_on_the_form(client, offer_a1, alice, nina):
    package = awarded(offer_a1, alice, nina)
    client.force_login(nina)
    response = client.post(
        reverse("brokerage:package-end", args=[package.pk]),
        {"reason": "Done", **date_post("ended_on", date(2026, 3, 1))},
    )
    assert response.status_code == 200
    assert "when it was awarded" in error_summary(response.content.decode())
    package.refresh_from_db()
    assert package.status == PackageStatus.AWARDED


# --- R3 and K8: hours history and the hours in force on a day ----------------------------------


def test_R3_hours_change_keeps_old_new_from_when_and_why(offer_a1, alice, nina, rita):
    package = awarded(offer_a1, alice, nina)
    services.package_hours_change(
        actor=rita, package=package, hours=Decimal("12.5"), reason="Review", now=at(2026, 5, 1)
    )
    package.refresh_from_db()
    assert package.hours_per_week == Decimal("12.5")
    rows = hours_history(package)
    assert [(r["hours_per_week"], r["from"]) for r in rows] == [
        (Decimal("10.00"), date(2026, 3, 3)),
        (Decimal("12.50"), date(2026, 5, 1)),
    ]
    assert rows[1]["old_hours"] == Decimal("10.00") and rows[1]["review"] is None


def test_R3_hours_api_lists_oldest_first_for_the_council_only(api_as, offer_a1, alice, nina):
    package = awarded(offer_a1, alice, nina)
    services.package_hours_change(
        actor=nina, package=package, hours=Decimal("8"), reason="x", now=at(2026, 5, 1)
    )
    response = api_as(nina).get(f"/api/v1/packages/{package.pk}/hours/")
    assert response.status_code == 200
    assert [(r["hours_per_week"], r["from"], r["review"]) for r in response.json()] == [
        (10.0, "2026-03-03", None),
        (8.0, "2026-05-01", None),
    ]
    assert set(response.json()[0]) >= {"hours_per_week", "from", "changed_at", "review"}
    assert api_as(alice).get(f"/api/v1/packages/{package.pk}/hours/").status_code == 403


def test_R3_hours_change_refuses_a_package_not_awarded(offered_package, nina):
    with pytest.raises(services.BrokerageError):
        services.package_hours_change(
            actor=nina, package=offered_package, hours=Decimal(5), reason="x"
        )


def test_K8_commissioned_hours_use_the_hours_in_force_on_each_day(db, ward, nina):
    """10 h awarded Jan 2025, raised to 13 from 1 Feb 2026; 6 h ended 1 March 2026; 4 h cancelled.
    A year ago (31 March 2025): 10 + 6 + 4 = 20. Now (31 March 2026): 13."""
    now = at(2026, 3, 31)
    raised = PackageFactory(
        ward=ward, status="awarded", hours_per_week=10, awarded_at=at(2025, 1, 1)
    )
    services.package_hours_change(
        actor=nina, package=raised, hours=Decimal(13), reason="x", now=at(2026, 2, 1)
    )
    ended = PackageFactory(ward=ward, status="awarded", hours_per_week=6, awarded_at=at(2025, 1, 1))
    services.package_end(
        actor=nina, package=ended, reason="Done", ended_on=date(2026, 3, 1), now=at(2026, 3, 2)
    )
    PackageFactory(
        ward=ward,
        status="cancelled",
        hours_per_week=4,
        awarded_at=at(2025, 1, 1),
        cancelled_at=at(2026, 1, 1),
    )
    figures = commissioned_hours(now)
    assert (figures["hours_now"], figures["hours_year_ago"]) == (13, 20)
    # The day before the end date the ended package still counts; the raise not yet in force.
    assert commissioned_hours(at(2026, 1, 31))["hours_now"] == 16
    assert commissioned_hours(at(2026, 2, 28))["hours_now"] == 19


def _hours_per_package(moment: datetime) -> Decimal:
    """K8's definition as it was first written (issue 13 keeps it): every package in force at
    `moment` at `hours_at(moment)`, one lookup each."""
    from django.db.models import Sum

    from brokerage.hours import hours_at, in_force
    from brokerage.models import Package

    total = (
        Package.objects.filter(in_force(moment))
        .annotate(h=hours_at(moment))
        .aggregate(n=Sum("h"))["n"]
    )
    return total or Decimal(0)


def test_K8_commissioned_hours_read_set_based_equal_the_hours_in_force_edge_days(db, ward, nina):
    """Issue 13 reads the hours in force set-based (only packages with a change look one up); on
    the edge days it equals the per-package definition (R3: a change counts from its day; P2: an
    ended package leaves from its end date): raised 10 → 12 from 1 June 2026 (and again, the same
    day, to 14: the later change wins); 5 h raised to 9 from 1 July 2026 (a year before, its first
    hours, 5); 3 h ended on 1 June 2026; 8 h never changed; 4 h awarded at 09:00 on 1 June."""
    june_1 = at(2026, 6, 1, 9)
    raised = PackageFactory(
        ward=ward, status="awarded", hours_per_week=10, awarded_at=at(2025, 1, 1)
    )
    for hours, when in ((12, at(2026, 5, 20)), (14, at(2026, 5, 21))):
        services.package_hours_change(
            actor=nina,
            package=raised,
            hours=Decimal(hours),
            reason="x",
            now=when,
            effective_from=date(2026, 6, 1),
        )
    later = PackageFactory(ward=ward, status="awarded", hours_per_week=5, awarded_at=at(2025, 1, 1))
    services.package_hours_change(
        actor=nina, package=later, hours=Decimal(9), reason="x", now=at(2026, 7, 1)
    )
    ended = PackageFactory(ward=ward, status="awarded", hours_per_week=3, awarded_at=at(2025, 1, 1))
    services.package_end(
        actor=nina, package=ended, reason="Done", ended_on=date(2026, 6, 1), now=at(2026, 6, 2)
    )
    PackageFactory(ward=ward, status="awarded", hours_per_week=8, awarded_at=at(2025, 1, 1))
    PackageFactory(ward=ward, status="awarded", hours_per_week=4, awarded_at=june_1)
    moments = {
        # The day before: 10 h, 5 h (its first hours), 3 h and 8 h; so too a year before each.
        at(2026, 5, 31, 23): (10 + 5 + 3 + 8, 26),
        june_1: (14 + 5 + 8 + 4, 26),  # the raise from its day; the ended package gone
        at(2026, 7, 1, 12): (14 + 9 + 8 + 4, 26),
        at(2027, 6, 1, 9): (14 + 9 + 8 + 4, 14 + 5 + 8 + 4),  # a year ago to the minute
    }
    for moment, (now_hours, year_ago_hours) in moments.items():
        figures = commissioned_hours(moment)
        assert figures["hours_now"] == now_hours == _hours_per_package(moment), moment
        year_ago = moment - timedelta(days=365)
        assert figures["hours_year_ago"] == _hours_per_package(year_ago)
        assert figures["hours_year_ago"] == year_ago_hours, moment


# --- L3: the claims list ----------------------------------------------------------------------


@pytest.fixture
def claims(market, ward, offer_a1, offer_b1, alice, bob, nina, branch_a2):
    """Three claims: A's branch a1 (cancellation, 10 h a week → 4.29 h), B's branch b1 (doorstep,
    1 h), A's branch a2 (cancellation of 14 h a week → 6 h)."""
    p1 = awarded(offer_a1, alice, nina)
    services.package_cancel(actor=nina, package=p1, reason="Moved", cancelled_on=date(2026, 3, 10))
    from brokerage.distribution import distribute_packages

    p2 = PackageFactory(reference="PKG-2", ward=ward, status="queued", queued_at=MONDAY_11)
    distribute_packages(as_of=MONDAY_11)
    b1_offer = p2.offers.get(branch=offer_b1.branch)
    p2 = awarded(b1_offer, bob, nina)
    services.package_cancel(
        actor=nina, package=p2, reason="Hospital", cancelled_on=date(2026, 3, 4), doorstep=True
    )
    CoverageFactory(branch=branch_a2, ward=ward)
    p3 = PackageFactory(
        reference="PKG-3", ward=ward, status="queued", queued_at=MONDAY_11, hours_per_week=14
    )
    distribute_packages(as_of=MONDAY_11)
    a2_user = UserFactory(
        username="andy", role="provider_branch", provider=branch_a2.provider, branch=branch_a2
    )
    p3 = awarded(p3.offers.get(branch=branch_a2), a2_user, nina)
    services.package_cancel(actor=nina, package=p3, reason="Died", cancelled_on=date(2026, 3, 20))
    return {"a1": p1, "b1": p2, "a2": p3}


def test_L3_cancel_records_the_claim_to_the_awarded_provider(claims, branch_a1, branch_b1):
    a1 = Claim.objects.get(package=claims["a1"])
    assert (a1.branch, a1.kind, a1.hours, a1.cancelled_on) == (
        branch_a1,
        ClaimKind.CANCELLATION,
        Decimal("4.29"),
        date(2026, 3, 10),
    )
    b1 = Claim.objects.get(package=claims["b1"])
    assert (b1.branch, b1.kind, b1.hours) == (branch_b1, ClaimKind.ASSESSMENT, Decimal("1.00"))


def _refs(response) -> list[str]:
    return sorted(r["package_reference"] for r in response.json()["results"])


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("alice", ["PKG-1"]),  # branch a1: its branch's only, not sibling a2's
        ("olivia", ["PKG-1", "PKG-3"]),  # organisation A: all its branches'
        ("bob", ["PKG-2"]),  # provider B: never A's
        ("nina", ["PKG-1", "PKG-2", "PKG-3"]),
        ("rita", ["PKG-1", "PKG-2", "PKG-3"]),
    ],
)
def test_A1_claims_api_is_scoped(request, api_as, claims, olivia, persona, expected):
    user = request.getfixturevalue(persona)
    response = api_as(user).get("/api/v1/claims/")
    assert response.status_code == 200
    assert _refs(response) == expected


def test_L3_claims_api_shape_and_filters(api_as, claims, nina):
    client = api_as(nina)
    row = client.get("/api/v1/claims/?kind=assessment").json()["results"]
    assert len(row) == 1
    assert row[0]["provider"] == {"ref": "PB", "name": "Birch Care Services"}
    assert (row[0]["kind"], row[0]["hours"], row[0]["cancelled_on"]) == (
        "assessment",
        1.0,
        "2026-03-04",
    )
    assert row[0]["package"] == claims["b1"].pk
    assert _refs(client.get("/api/v1/claims/?provider=PA")) == ["PKG-1", "PKG-3"]
    assert _refs(client.get("/api/v1/claims/?after=2026-03-05&before=2026-03-10")) == ["PKG-1"]


def test_L3_claims_csv_api_and_page_are_scoped(api_as, client, claims, alice, olivia):
    text = api_as(olivia).get("/api/v1/claims/export.csv").content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["package_reference"] for r in rows) == ["PKG-1", "PKG-3"]
    assert rows[0].keys() >= {"provider_ref", "kind", "hours", "cancelled_on"}
    client.force_login(alice)
    page = client.get(reverse("brokerage:claims-csv")).content.decode()
    assert "PKG-1" in page and "PKG-3" not in page and "PKG-2" not in page


def test_L3_claims_page_lists_totals_and_filters(client, claims, nina, bob):
    client.force_login(nina)
    body = client.get(reverse("brokerage:claims")).content.decode()
    assert "3 claims, 11.29 hours in all" in body
    body = client.get(reverse("brokerage:claims") + "?provider=PB").content.decode()
    assert "1 claim, 1 hour in all" in body and "PKG-2" in body and "PKG-1" not in body
    client.force_login(bob)
    body = client.get(reverse("brokerage:claims")).content.decode()
    assert "PKG-2" in body and "PKG-1" not in body and "Amber" not in body


def test_L3_claims_page_query_count_is_constant(
    client, claims, nina, django_assert_max_num_queries
):
    client.force_login(nina)
    with django_assert_max_num_queries(12):
        client.get(reverse("brokerage:claims"))


def test_L3_a_cancellation_before_the_award_records_no_claim(offer_a1, alice, nina):
    package = awarded(offer_a1, alice, nina)
    assert package.awarded_at == AWARDED
    with pytest.raises(services.InvalidResponse):
        services.package_cancel(
            actor=nina, package=package, reason="x", cancelled_on=date(2026, 3, 2)
        )
    assert not Claim.objects.exists()


def test_L3_claims_csv_cannot_run_a_formula(api_as, claims, nina, provider_b):
    """Issue 14.3 for the claims CSV: a provider name starting '@' is written as text."""
    provider_b.name = "@SUM(A1:A9)"
    provider_b.save()
    text = api_as(nina).get("/api/v1/claims/export.csv?provider=PB").content.decode()
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert row["provider_name"] == "'@SUM(A1:A9)"
