"""K12 market gaps: decline reasons counted by district, ward and service level per quarter, with
the share of packages that got no Offer Made; the API (council only, A2), the dashboard's chart,
table and CSV, on hand-made offers."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from unittest import mock

import pytest

from brokerage import counts
from brokerage.capacity import capacity_declare
from brokerage.distribution import distribute_packages
from brokerage.models import DeclineReason, GapCount, Offer
from brokerage.services import offer_respond
from brokerage.services.widen import package_widen
from kpi.market_gaps import market_gaps
from kpi.quarters import Quarter
from providers.models import Role
from tests.factories import (
    BranchFactory,
    CoverageFactory,
    PackageFactory,
    ProviderFactory,
    UserFactory,
    WardFactory,
)

from .conftest import at

Q1 = Quarter.parse("2026-27-Q1")
SENT = at(2026, 5, 5, 11)
NOW = at(2026, 6, 20, 12)  # still 2026-27-Q1: the dashboard's section opens on it


@pytest.fixture
def frozen():
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield


def _offer(package, branch, response, reason="", sent=SENT, **extra):
    return Offer.objects.create(
        package=package,
        branch=branch,
        provider=branch.provider,
        sent_at=sent,
        deadline=sent + timedelta(days=3),
        placement_response=response,
        reason=reason,
        offered_start_date=sent.date() if response == "offer_made" else None,
        **extra,
    )


@pytest.fixture
def gaps(ward, branch_a1, branch_a2, branch_b1):
    """2026-27-Q1, two districts, three wards:
    P1 Fishwick (Preston), homecare_single: declined no_capacity and call_times, one Offer Made.
    P2 Fishwick, homecare_two: declined no_capacity (the P12 automatic answer), one No Response.
    P3 Ribbleton (Preston), homecare_single: declined needs, one still open.
    P4 Chorley North (Chorley), stcah_single: one Offer Made.
    P5 Chorley North, homecare_single, offered in 2026-27-Q2: left out of Q1."""
    ribbleton = WardFactory(code="E05012002", name="Ribbleton", district="Preston")
    chorley = WardFactory(code="E05006001", name="Chorley North", district="Chorley")
    p1 = PackageFactory(ward=ward, service_level="homecare_single", status="offered")
    _offer(p1, branch_a1, "unable_to_accept", "no_capacity")
    _offer(p1, branch_b1, "unable_to_accept", "call_times")
    _offer(p1, branch_a2, "offer_made")
    p2 = PackageFactory(ward=ward, service_level="homecare_two", status="offered")
    _offer(p2, branch_a1, "unable_to_accept", "no_capacity", auto=True)
    _offer(p2, branch_b1, "no_response")
    p3 = PackageFactory(ward=ribbleton, service_level="homecare_single", status="offered")
    _offer(p3, branch_a1, "unable_to_accept", "needs")
    _offer(p3, branch_b1, None)
    p4 = PackageFactory(ward=chorley, service_level="stcah_single", status="offered")
    _offer(p4, branch_b1, "offer_made")
    p5 = PackageFactory(ward=chorley, service_level="homecare_single", status="offered")
    _offer(p5, branch_a1, "unable_to_accept", "no_capacity", sent=at(2026, 7, 2, 11))


def _get(api, query):
    return api.get(f"/api/v1/kpi/decline-reasons/{query}")


def _rows(body):
    return {
        r["key"]: (r["offers"], r["declined"], r["reasons"], r["no_offer_made_share"])
        for r in body["results"]
    }


def test_k12_by_district(api_as, carl, gaps):
    body = _get(api_as(carl), "?quarter=2026-27-Q1&by=district").json()
    assert _rows(body) == {
        "Preston": (7, 4, {"no_capacity": 2, "call_times": 1, "needs": 1}, round(2 / 3, 4)),
        "Chorley": (1, 0, {}, 0.0),
    }
    assert body["total"]["packages"] == 4 and body["total"]["no_offer_made"] == 2


def test_k12_by_ward(api_as, carl, gaps):
    body = _get(api_as(carl), "?quarter=2026-27-Q1&by=ward").json()
    assert _rows(body) == {
        "E05012001": (5, 3, {"no_capacity": 2, "call_times": 1}, 0.5),
        "E05012002": (2, 1, {"needs": 1}, 1.0),
        "E05006001": (1, 0, {}, 0.0),
    }
    labels = {r["key"]: r["label"] for r in body["results"]}
    assert labels["E05012002"] == "Ribbleton"


def test_k12_by_service_level(api_as, carl, gaps):
    body = _get(api_as(carl), "?quarter=2026-27-Q1&by=service_level").json()
    assert _rows(body) == {
        "homecare_single": (5, 3, {"no_capacity": 1, "call_times": 1, "needs": 1}, 0.5),
        "homecare_two": (2, 1, {"no_capacity": 1}, 1.0),
        "stcah_single": (1, 0, {}, 0.0),
    }


def test_k12_offers_count_in_the_quarter_they_were_sent(api_as, carl, gaps):
    """P5, offered on 2 July, is 2026-27-Q2's alone."""
    body = _get(api_as(carl), "?quarter=2026-27-Q2&by=district").json()
    assert _rows(body) == {"Chorley": (1, 1, {"no_capacity": 1}, 1.0)}


def test_k12_a_quarter_with_no_offers_has_no_rows(api_as, carl, gaps):
    body = _get(api_as(carl), "?quarter=2025-26-Q1&by=ward").json()
    assert body["results"] == [] and body["total"]["no_offer_made_share"] is None


def test_k12_by_defaults_to_district(api_as, carl, gaps):
    body = _get(api_as(carl), "?quarter=2026-27-Q1").json()
    assert body["by"] == "district" and set(_rows(body)) == {"Preston", "Chorley"}


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("?quarter=2026-Q1&by=ward", "quarter", "is not a financial quarter such as 2026-27-Q1"),
        ("?by=ward", "quarter", "Give a financial quarter"),
        ("?quarter=2026-27-Q1&by=postcode", "by", "give by=district, ward or service_level"),
    ],
)
def test_k12_a_bad_quarter_or_by_is_a_400_saying_what_is_wrong(api_as, carl, query, field, words):
    response = _get(api_as(carl), query)
    assert response.status_code == 400
    assert words in response.json()[field][0]


@pytest.mark.parametrize("persona", ["alice", "olivia", "bob"])
def test_k12_providers_are_refused_a2(api_as, request, gaps, persona):
    response = _get(api_as(request.getfixturevalue(persona)), "?quarter=2026-27-Q1&by=ward")
    assert response.status_code == 403
    assert "Fishwick" not in response.content.decode()


def test_k12_every_council_role_reads_it(api_as, nina, rita, gaps):
    for user in (nina, rita):
        assert _get(api_as(user), "?quarter=2026-27-Q1&by=ward").status_code == 200


def test_k12_is_one_query_of_the_kept_gaps_whatever_the_volume(
    gaps, django_assert_num_queries, ward
):
    """Issue 13: one grouped read of the packages' kept gap counts, never the offers."""
    with django_assert_num_queries(1) as read:
        market_gaps(Q1, "ward")
    assert GapCount._meta.db_table in read.captured_queries[0]["sql"]
    assert f'FROM "{Offer._meta.db_table}"' not in read.captured_queries[0]["sql"]
    for i in range(15):
        branch = BranchFactory(provider=ProviderFactory())
        other = WardFactory(district=f"District {i}")
        _offer(PackageFactory(ward=other), branch, "unable_to_accept", "out_of_area")
    with django_assert_num_queries(1):
        assert len(market_gaps(Q1, "ward")) == 18


def test_k12_api_query_count_is_pinned(api_as, carl, gaps, django_assert_max_num_queries):
    api = api_as(carl)
    _get(api, "?quarter=2026-27-Q1&by=ward")
    with django_assert_max_num_queries(5):
        assert _get(api, "?quarter=2026-27-Q1&by=ward").status_code == 200


# --- the dashboard: chart, table and CSV --------------------------------------------------------


def test_k12_dashboard_shows_market_gaps_by_the_chosen_grouping(client, carl, gaps, frozen):
    client.force_login(carl)
    page = client.get("/kpi/dashboard/").content.decode()
    assert 'id="market-gaps"' in page
    assert "Decline reasons by district, 2026-27-Q1" in page
    assert "2 of 3 (66.7%)" in page  # Preston's packages with no Offer Made
    page = client.get("/kpi/dashboard/?gaps_by=ward&gaps_quarter=2026-27-Q1").content.decode()
    assert "Decline reasons by ward, 2026-27-Q1" in page and "Ribbleton" in page
    assert "1 of 1 (100.0%)" in page


def test_k12_dashboard_says_what_is_wrong_with_a_bad_choice(client, carl, gaps, frozen):
    client.force_login(carl)
    response = client.get("/kpi/dashboard/?gaps_by=postcode&gaps_quarter=1999-00-Q1")
    assert response.status_code == 200
    page = response.content.decode()
    assert "govuk-error-summary" in page and "Select a valid choice" in page
    assert "Decline reasons by district, 2026-27-Q1" in page  # the defaults, shown instead


@pytest.mark.parametrize("by", ["district", "ward", "service_level"])
def test_k12_csv_every_reason_a_column(client, carl, gaps, by):
    client.force_login(carl)
    response = client.get(f"/kpi/market-gaps.csv?quarter=2026-27-Q1&by={by}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    total = rows[-1]
    assert (total["label"], total["offers"], total["declined"]) == ("All", "8", "4")
    assert (total["declined_no_capacity"], total["declined_other"]) == ("2", "0")
    assert (total["packages"], total["no_offer_made"], total["no_offer_made_share"]) == (
        "4",
        "2",
        "0.5000",
    )


def test_k12_csv_by_ward_rows(client, carl, gaps):
    client.force_login(carl)
    text = client.get("/kpi/market-gaps.csv?quarter=2026-27-Q1&by=ward").content.decode()
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["E05012001"]["label"] == "Fishwick"
    assert rows["E05012001"]["declined_call_times"] == "1"
    assert rows["E05012002"]["no_offer_made_share"] == "1.0000"


def test_k12_csv_bad_parameters_are_a_400_saying_what_is_wrong(client, carl):
    client.force_login(carl)
    response = client.get("/kpi/market-gaps.csv?quarter=2026-27-Q1&by=postcode")
    assert response.status_code == 400
    assert "give by=district, ward or service_level" in response.content.decode()


@pytest.mark.parametrize("persona", ["alice", "olivia", "nina"])
def test_k12_csv_is_for_contract_managers(client, request, gaps, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/kpi/market-gaps.csv?quarter=2026-27-Q1").status_code == 403


def test_k12_dashboard_query_count_does_not_grow(
    client, carl, gaps, frozen, django_assert_max_num_queries
):
    client.force_login(carl)
    url = "/kpi/dashboard/?gaps_by=ward"
    client.get(url)
    with django_assert_max_num_queries(30) as small:
        client.get(url)
    for i in range(15):
        branch = BranchFactory(provider=ProviderFactory())
        other = WardFactory(district=f"District {i}")
        _offer(PackageFactory(ward=other), branch, "unable_to_accept", "out_of_area")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_k12_gaps_move_with_every_way_offers_are_written(nina):
    """Issue 13: the distribution's INSERT (with its P12 automatic answers), an answer and a
    widening (L5) each move the package's kept gap counts in the same transaction, and the
    market's gaps read from them count what the offers count."""
    near, far = WardFactory(district="Preston"), WardFactory(district="Chorley")
    branches = []
    for area in (near, near, far):
        branch = BranchFactory(provider=ProviderFactory())
        CoverageFactory(branch=branch, ward=area, started_at=at(2020, 1, 1, 0))
        branches.append(branch)
    capacity_declare(
        actor=UserFactory(
            role=Role.PROVIDER_BRANCH, provider=branches[1].provider, branch=branches[1]
        ),
        branch=branches[1],
        until=date(2026, 5, 6),
        note="Full until Wednesday",
        now=SENT - timedelta(hours=1),
    )
    package = PackageFactory(ward=near, status="queued", service_level="homecare_single")
    distribute_packages(as_of=SENT)
    assert counts.stored_gaps() == counts.recount_gaps()
    assert counts.stored_wards() == counts.recount_wards()  # W5
    kept = GapCount.objects.get(package=package, start=Q1.start_date)
    assert (kept.offers, kept.declined, kept.declined_no_capacity) == (2, 1, 1)  # P12's answer
    offer = Offer.objects.get(package=package, branch=branches[0])
    offer_respond(
        actor=nina, offer=offer, response="unable_to_accept", reason="call_times", now=SENT
    )
    package_widen(actor=nina, package=package, wards=[far], now=SENT + timedelta(hours=1))
    assert counts.stored_gaps() == counts.recount_gaps()
    assert counts.stored_wards() == counts.recount_wards()  # W5
    (row,) = market_gaps(Q1, "service_level")
    assert (row.offers, row.declined, row.packages, row.no_offer_made) == (3, 2, 1, 1)
    assert {k: n for k, n in row.reasons.items() if n} == {"no_capacity": 1, "call_times": 1}
    widened = Offer.objects.get(package=package, branch=branches[2])
    offer_respond(
        actor=nina,
        offer=widened,
        response="offer_made",
        start_date=date(2026, 5, 12),
        now=SENT + timedelta(hours=2),
    )
    (row,) = market_gaps(Q1, "service_level")
    assert (row.packages, row.no_offer_made) == (1, 0)
    assert counts.stored_gaps() == counts.recount_gaps()
    assert counts.stored_wards() == counts.recount_wards()  # W5


def test_k12_every_decline_reason_has_a_kept_column():
    """A decline reason added without its GapCount column would not be counted (K12)."""
    fields = {f.name for f in GapCount._meta.get_fields()}
    assert {f"declined_{code}" for code in DeclineReason.values} <= fields
