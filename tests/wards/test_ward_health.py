"""Ward health (W5): branches covering each ward, offers and rates over a period computed by
grouped aggregates, thin coverage, cleanse candidates; council only; query counts pinned."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from brokerage import counts
from brokerage.models import Offer
from brokerage.ward_health import (
    Period,
    cleanse_candidates,
    coverage_summary,
    district_health,
    ward_branches,
    ward_health,
)
from tests.factories import BranchFactory, PackageFactory, WardFactory
from wards.services import register_change

pytestmark = pytest.mark.django_db

HEALTH = reverse("ward_health:health")
TODAY = date(2026, 3, 31)


def offers(branch, ward, *, made=0, unable=0, no_response=0, open_=0, closed=0, days_ago=10):
    """Offers to `branch` for new packages in `ward`, with the given placement responses."""
    sent = timezone.make_aware(timezone.datetime(2026, 3, 31, 11)) - timedelta(days=days_ago)
    kinds = (
        [("offer_made", "open")] * made
        + [("unable_to_accept", "open")] * unable
        + [("no_response", "not_awarded")] * no_response
        + [(None, "open")] * open_
        + [("closed_before_response", "withdrawn")] * closed
    )
    made_offers = Offer.objects.bulk_create(
        Offer(
            package=PackageFactory(ward=ward, status="offered"),
            branch=branch,
            provider=branch.provider,
            sent_at=sent,
            deadline=sent + timedelta(days=3),
            placement_response=response,
            outcome=outcome,
            offered_start_date=sent.date() if response == "offer_made" else None,
        )
        for response, outcome in kinds
    )
    counts.record_created(made_offers)  # as every writer of offers does: the kept counts move


@pytest.fixture
def market(branch_a1, branch_b1):
    """Fishwick: a1 and b1. Ribbleton: a1 only. Deepdale: no one. Chorley East (Chorley): b1."""
    fishwick = WardFactory(code="E05012001", name="Fishwick", district="Preston")
    ribbleton = WardFactory(code="E05012002", name="Ribbleton", district="Preston")
    deepdale = WardFactory(code="E05012004", name="Deepdale", district="Preston")
    chorley = WardFactory(code="E05012003", name="Chorley East", district="Chorley")
    register_change(
        add=[
            (branch_a1, fishwick),
            (branch_b1, fishwick),
            (branch_a1, ribbleton),
            (branch_b1, chorley),
        ]
    )
    # a1 in Fishwick: 1 made of 25 counted (4%): a cleanse candidate.
    offers(branch_a1, fishwick, made=1, unable=14, no_response=10, open_=3, closed=2)
    # b1 in Fishwick: 10 made, 5 unable, 5 no response (20 counted, 50%).
    offers(branch_b1, fishwick, made=10, unable=5, no_response=5)
    # a1 in Ribbleton: 0 made of 19 counted: under 5% but fewer than 20 offers.
    offers(branch_a1, ribbleton, unable=19)
    # b1 in Chorley East: 0 of 30, but long before the period.
    offers(branch_b1, chorley, no_response=30, days_ago=200)
    return {"fishwick": fishwick, "ribbleton": ribbleton, "deepdale": deepdale, "chorley": chorley}


def period() -> Period:
    return Period.default(TODAY)


def test_default_period_is_the_last_90_days_inclusive():
    p = Period.default(TODAY)
    assert (p.start, p.end) == (date(2026, 1, 1), TODAY)
    assert p.end_at - p.start_at == timedelta(days=90)


@pytest.mark.parametrize(("start", "end"), [("2026-13-01", ""), ("2026-03-02", "2026-03-01")])
def test_bad_period_is_refused_with_a_plain_message(start, end):
    with pytest.raises(ValueError):
        Period.parse(start, end, TODAY)


def test_ward_rows_count_branches_offers_and_rates(market):
    rows = {w.code: w for w in ward_health(period())}
    fishwick = rows["E05012001"]
    assert (fishwick.branches, fishwick.sent, fishwick.counted) == (2, 50, 45)
    assert (fishwick.responded, fishwick.made) == (30, 11)
    assert fishwick.response_rate == pytest.approx(30 / 45)
    assert fishwick.offer_rate == pytest.approx(11 / 45)
    assert rows["E05012004"].branches == 0 and rows["E05012004"].offer_rate is None
    assert rows["E05012003"].sent == 0  # its offers are before the period


def test_the_period_decides_which_offers_count(market):
    long_ago = Period.parse("2025-09-01", "2025-12-31", TODAY)
    rows = {w.code: w for w in ward_health(long_ago)}
    assert rows["E05012003"].counted == 30 and rows["E05012003"].response_rate == 0.0
    assert rows["E05012001"].sent == 0


def test_ward_rows_are_one_query(market, django_assert_num_queries):
    with django_assert_num_queries(1):
        list(ward_health(period(), sort="-offer_rate"))


def test_sort_by_offer_rate_puts_wards_without_offers_last(market):
    codes = [w.code for w in ward_health(period(), sort="-offer_rate")]
    assert codes[:2] == ["E05012001", "E05012002"]
    assert [w.code for w in ward_health(period(), sort="offer_rate")][:2] == [
        "E05012002",
        "E05012001",
    ]


def test_thin_coverage_filters(market):
    assert [w.code for w in ward_health(period(), cover="none")] == ["E05012004"]
    assert {w.code for w in ward_health(period(), cover="one")} == {"E05012002", "E05012003"}
    assert coverage_summary() == {"wards": 4, "uncovered": 1, "single": 2}


def test_cleanse_candidates_are_pairs_under_5_percent_over_at_least_20_offers(market):
    rows = list(cleanse_candidates(period()))
    assert [(r["branch_ref"], r["ward_code"], r["counted"], r["made"]) for r in rows] == [
        ("A1", "E05012001", 25, 1)
    ]
    assert rows[0]["offer_rate"] == pytest.approx(0.04)


def test_a_pair_no_longer_in_force_is_not_a_cleanse_candidate(market, branch_a1):
    register_change(remove=[(branch_a1, market["fishwick"])])
    assert list(cleanse_candidates(period())) == []


def test_per_branch_rows_for_a_ward(market, branch_a1, branch_b1, django_assert_num_queries):
    with django_assert_num_queries(2):
        rows = ward_branches(market["fishwick"], period())
    by_ref = {r["branch"].ref: r for r in rows}
    assert (by_ref["A1"]["counted"], by_ref["A1"]["made"]) == (25, 1)
    assert by_ref["B1"]["response_rate"] == pytest.approx(15 / 20)
    assert ward_branches(market["deepdale"], period()) == []


def test_branch_covering_but_never_offered_shows_zero(market):
    branch = BranchFactory()
    register_change(add=[(branch, market["deepdale"])])
    [row] = ward_branches(market["deepdale"], period())
    assert (row["sent"], row["offer_rate"]) == (0, None)


def test_district_rows(market):
    rows = {r["district"]: r for r in district_health(period())}
    assert (rows["Preston"]["wards"], rows["Preston"]["uncovered"], rows["Preston"]["single"]) == (
        3,
        1,
        1,
    )
    assert rows["Preston"]["counted"] == 64 and rows["Chorley"]["counted"] == 0


def test_page_shows_the_table_summary_cleanse_and_chart(client, carl, market):
    client.force_login(carl)
    response = client.get(HEALTH, {"from": "2026-01-01", "to": "2026-03-31"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Fishwick" in html and "Cleanse candidate" in html
    assert "4.0%" in html  # 1 made of 25: shown to one decimal, never rounded up to 5%
    assert "<svg" in html and "Response and offer rate by district" in html
    assert 'aria-sort="ascending"' in html  # sorted by ward by default


def test_page_sorts_by_query_parameter(client, carl, market):
    client.force_login(carl)
    html = client.get(
        HEALTH, {"from": "2026-01-01", "to": "2026-03-31", "sort": "-counted"}
    ).content.decode()
    table = html[html.index('id="wards"') : html.index('id="cleanse"')]
    assert table.index("Fishwick") < table.index("Ribbleton") < table.index("Deepdale")
    assert 'aria-sort="descending"' in table


def test_page_with_bad_dates_shows_an_error_and_the_default_period(client, carl, market):
    client.force_login(carl)
    html = client.get(HEALTH, {"from": "2026-04-01", "to": "2026-03-01"}).content.decode()
    assert "There is a problem" in html and "The start date must be on or before" in html


def test_csv_download_of_the_ward_table(client, carl, market):
    client.force_login(carl)
    response = client.get(
        HEALTH, {"from": "2026-01-01", "to": "2026-03-31", "format": "csv", "sort": "-sent"}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "ward_code",
        "ward_name",
        "district",
        "branches",
        "offers_sent",
        "offers_counted",
        "responded",
        "offers_made",
        "response_rate",
        "offer_rate",
    ]
    assert rows[1] == ["E05012001", "Fishwick", "Preston", "2", "50", "45", "30", "11"] + [
        f"{30 / 45:.4f}",
        f"{11 / 45:.4f}",
    ]
    assert len(rows) == 5


def test_cleanse_csv(client, carl, market):
    client.force_login(carl)
    response = client.get(
        reverse("ward_health:cleanse-csv"), {"from": "2026-01-01", "to": "2026-03-31"}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][:5] == ["PA", "Amber Homecare Ltd", "A1", "Preston", "E05012001"]
    assert rows[1][-3:] == ["25", "1", "0.0400"]


def test_ward_page_lists_branches_with_rates(client, carl, market):
    client.force_login(carl)
    html = client.get(
        reverse("ward_health:ward", args=["E05012001"]), {"from": "2026-01-01", "to": "2026-03-31"}
    ).content.decode()
    assert "Amber Homecare Ltd" in html and "Birch Care Services" in html
    assert "Cleanse candidate" in html


def test_unknown_ward_is_404(client, carl, market):
    client.force_login(carl)
    assert client.get(reverse("ward_health:ward", args=["E05099999"])).status_code == 404


@pytest.mark.parametrize("persona", ["alice", "olivia", "bob"])
def test_provider_users_may_not_see_ward_health(request, client, market, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(HEALTH).status_code == 403
    assert client.get(reverse("ward_health:cleanse-csv")).status_code == 403
    assert client.get(reverse("ward_health:ward", args=["E05012001"])).status_code == 403


def test_page_query_count_is_pinned(client, carl, market, django_assert_max_num_queries):
    client.force_login(carl)
    more = [WardFactory(district=f"District {n % 5}") for n in range(30)]
    register_change(add=[(BranchFactory(), w) for w in more])
    # session, user, count, page, summary, districts (2), cleanse, and the session's save (3)
    with django_assert_max_num_queries(11):
        assert client.get(HEALTH).status_code == 200


def test_ward_page_with_bad_dates_shows_the_error_summary_its_title_announces(client, carl, market):
    client.force_login(carl)
    url = reverse("ward_health:ward", args=[market["fishwick"].code])
    html = client.get(url, {"from": "2026-04-01", "to": "2026-03-01"}).content.decode()
    assert "<title>Error: " in html
    assert "govuk-error-summary" in html and '<a href="#from">The start date must be' in html


def _challenge(offers_, status):
    """Challenges of `offers_` decided `status`, written directly (the window to challenge these
    offers has closed by the clock), an upheld one moving the kept counts as `challenge_decide`
    does (`counts.exclude`): ward health's ward and district figures read those, its branches
    and cleanse candidates the challenge rows."""
    from kpi.models import Challenge

    now = timezone.now()
    for offer in offers_:
        Challenge.objects.create(
            offer=offer,
            quarter="2025-26-Q4",
            reason="The e-mail never arrived",
            made_at=now,
            status=status,
            decided_at=None if status == "open" else now,
        )
        if status == "upheld":
            counts.exclude([offer.pk])


def test_K10_upheld_challenges_leave_no_responses_out_of_ward_rates_and_cleanse(
    market, branch_a1, branch_b1, django_assert_num_queries
):
    """W5 counts as K1 does: a No Response whose challenge was upheld (the e-mail bounced) is
    held against no one in its ward's rates, the branch's rates there or the cleanse list; an
    open or rejected challenge changes nothing; `sent` still counts every offer sent."""
    fishwick = market["fishwick"]
    b1_missed = Offer.objects.filter(branch=branch_b1, placement_response="no_response")
    a1_missed = Offer.objects.filter(branch=branch_a1, package__ward=fishwick)
    a1_missed = a1_missed.filter(placement_response="no_response")
    _challenge(b1_missed.order_by("pk")[:3], "upheld")  # b1: 15 answered of 17 counted
    _challenge(b1_missed.order_by("pk")[3:4], "rejected")
    _challenge(b1_missed.order_by("pk")[4:5], "open")
    _challenge(a1_missed.order_by("pk")[:6], "upheld")  # a1: 1 made of 19 counted: under 20
    with django_assert_num_queries(1):
        row = ward_health(period()).get(code="E05012001")
    assert (row.sent, row.counted, row.responded, row.made) == (50, 36, 30, 11)
    assert row.response_rate == pytest.approx(30 / 36)
    by_ref = {r["branch"].ref: r for r in ward_branches(fishwick, period())}
    assert (by_ref["B1"]["sent"], by_ref["B1"]["counted"]) == (20, 17)
    assert by_ref["B1"]["response_rate"] == pytest.approx(15 / 17)
    assert (by_ref["A1"]["counted"], by_ref["A1"]["made"]) == (19, 1)
    assert list(cleanse_candidates(period())) == []  # a1's 19 counted offers: too few to judge
    assert {r["district"]: r["counted"] for r in district_health(period())}["Preston"] == 64 - 9
