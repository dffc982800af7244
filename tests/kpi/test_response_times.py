"""K11 response time: per provider and window, the median hours from an offer being sent to its
first answer (answered offers only), beside the response rate everywhere K1 is shown; worked out
in the database on PostgreSQL and SQLite alike, on hand-made times."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from brokerage.models import Offer
from brokerage.services import offer_respond
from kpi.quarters import Quarter
from kpi.response_times import hours_words
from kpi.selectors import RateWindow, market_summary, provider_rates, rates_by_quarter
from kpi.views import council
from tests.factories import BranchFactory, ProviderFactory

from .conftest import at

SENT = at(2026, 5, 5, 9)  # 2026-27-Q1
Q1 = Quarter.parse("2026-27-Q1")
Q2 = Quarter.parse("2026-27-Q2")


def _answered(make_offer, branch, hours, response="unable_to_accept", sent=SENT):
    """An offer sent at `sent` and first answered `hours` later."""
    answered = sent + timedelta(hours=hours)
    extra = {"reason": "no_capacity"} if response == "unable_to_accept" else {}
    return make_offer(
        branch,
        sent,
        response,
        responded_at=answered,
        first_responded_at=answered,
        **extra,
    )


@pytest.fixture
def timed_market(make_offer, branch_a1, branch_a2, branch_b1):
    """2026-27-Q1. Provider A answers after 1, 3, 4 and 8 hours (an even count: median 3.5) across
    its two branches, and has a No Response; B after 2, 5 and 30 hours (odd: median 5); C only
    lets its offer expire (no answers). The market's seven answers: 1 2 3 4 5 8 30, median 4."""
    for hours, branch in [(8, branch_a1), (1, branch_a2), (4, branch_a1), (3, branch_a2)]:
        _answered(make_offer, branch, hours, "offer_made" if hours == 4 else "unable_to_accept")
    make_offer(branch_a1, SENT, "no_response")
    for hours in (30, 2, 5):
        _answered(make_offer, branch_b1, hours)
    silent = BranchFactory(provider=ProviderFactory(ref="PC", name="Cedar Care"))
    make_offer(silent, SENT, "no_response")


def _hours(rows):
    return {r.provider.ref: r.median_hours for r in rows}


def test_k11_median_of_an_even_count_is_the_mean_of_the_two_middle(timed_market):
    rows = provider_rates(RateWindow.for_quarter(Q1))
    assert _hours(rows)["PA"] == pytest.approx(3.5)  # (3 + 4) / 2


def test_k11_median_of_an_odd_count_is_the_middle_one(timed_market):
    assert _hours(provider_rates(RateWindow.for_quarter(Q1)))["PB"] == pytest.approx(5)


def test_k11_a_provider_with_no_answers_has_no_figure(timed_market):
    rows = provider_rates(RateWindow.for_quarter(Q1))
    assert _hours(rows)["PC"] is None
    assert hours_words(None) == "no answers"


def test_k11_market_median_is_over_every_answer_not_of_provider_medians(timed_market):
    market = market_summary(provider_rates(RateWindow.for_quarter(Q1)))
    assert market.median_hours == pytest.approx(4)  # 1 2 3 [4] 5 8 30; medians' median is 3.5


def test_k11_minutes_count_exactly(make_offer, branch_a1):
    """95 and 100 minutes: the median is 97.5 minutes."""
    for minutes in (95, 100):
        _answered(make_offer, branch_a1, minutes / 60)
    rows = provider_rates(RateWindow.for_quarter(Q1))
    assert rows[0].median_hours == pytest.approx(97.5 / 60)
    assert hours_words(rows[0].median_hours) == "1.6 hours"


def test_k11_an_answer_changed_later_does_not_move_the_figure(make_offer, alice, branch_a1):
    """First answered 2 hours after sending, changed at 20 hours: the figure stays 2 hours."""
    offer = make_offer(branch_a1, SENT, None)
    offer_respond(
        actor=alice,
        offer=offer,
        response="unable_to_accept",
        reason="call_times",
        now=SENT + timedelta(hours=2),
    )
    offer_respond(
        actor=alice,
        offer=offer,
        response="unable_to_accept",
        reason="needs",
        now=SENT + timedelta(hours=20),
    )
    offer.refresh_from_db()
    assert offer.responded_at == SENT + timedelta(hours=20)
    assert offer.first_responded_at == SENT + timedelta(hours=2)
    assert provider_rates(RateWindow.for_quarter(Q1))[0].median_hours == pytest.approx(2)


def test_k11_an_offer_answered_before_the_first_answer_was_kept_uses_its_answer_time(
    make_offer, branch_a1
):
    """Written without `first_responded_at` (as before the field): `responded_at` stands in."""
    make_offer(
        branch_a1, SENT, "unable_to_accept", reason="needs", responded_at=SENT + timedelta(6)
    )
    assert provider_rates(RateWindow.for_quarter(Q1))[0].median_hours == pytest.approx(144)


def test_k11_only_answered_offers_count(make_offer, branch_a1):
    """No Response, Closed Before Response and open offers have no answer; only the 6 hours counts."""
    _answered(make_offer, branch_a1, 6)
    make_offer(branch_a1, SENT, "no_response", responded_at=SENT + timedelta(hours=1))
    make_offer(branch_a1, SENT, "closed_before_response", "not_awarded")
    make_offer(branch_a1, SENT, None)
    assert provider_rates(RateWindow.for_quarter(Q1))[0].median_hours == pytest.approx(6)


def test_k11_follows_k1s_urgent_setting(make_offer, branch_a1):
    """With urgent packages left out of K1, an urgent answer is left out of K11 too."""
    from core.models import PortalSettings

    _answered(make_offer, branch_a1, 6)
    urgent = SENT + timedelta(hours=1)
    make_offer(branch_a1, SENT, "offer_made", urgent=True, first_responded_at=urgent)
    assert provider_rates(RateWindow.for_quarter(Q1))[0].median_hours == pytest.approx(3.5)
    PortalSettings.objects.update_or_create(pk=1, defaults={"kpi_exclude_urgent": True})
    assert provider_rates(RateWindow.for_quarter(Q1))[0].median_hours == pytest.approx(6)


def test_k11_per_quarter_by_the_send_date(make_offer, branch_a1):
    """Each quarter's median from its own offers, in one query for all quarters."""
    _answered(make_offer, branch_a1, 2)
    _answered(make_offer, branch_a1, 10)
    july = at(2026, 7, 1, 0, 30)  # 00:30 BST on 1 July: Q2, though still 30 June in UTC
    _answered(make_offer, branch_a1, 7, sent=july)
    by_quarter = rates_by_quarter([Q1, Q2])
    assert by_quarter[str(Q1)][0].median_hours == pytest.approx(6)
    assert by_quarter[str(Q2)][0].median_hours == pytest.approx(7)
    assert by_quarter[str(Q2)].median_hours == pytest.approx(7)


def test_k11_rolling_window(make_offer, branch_a1):
    now = at(2026, 8, 1, 12)
    _answered(make_offer, branch_a1, 4, sent=now - timedelta(days=89))
    _answered(make_offer, branch_a1, 40, sent=now - timedelta(days=91))
    assert provider_rates(RateWindow.rolling(now))[0].median_hours == pytest.approx(4)


def test_k11_scoped_to_a_branch_users_own_offers(timed_market, alice):
    """Alice's branch a1 answered after 8 and 4 hours: her view's median is 6, not A's 3.5."""
    mine = provider_rates(RateWindow.for_quarter(Q1), offers=Offer.objects.visible_to(alice))
    assert [(r.provider.ref, r.median_hours) for r in mine] == [("PA", pytest.approx(6))]


def test_k11_is_one_query_per_call_whatever_the_offers(
    timed_market, make_offer, django_assert_num_queries
):
    """K1's grouped read of the kept counts (the providers' names joined in, issue 13) and K11's
    one query: 2, for 3 providers or 13."""
    from core.models import PortalSettings

    window, rules = RateWindow.for_quarter(Q1), PortalSettings.load()
    with django_assert_num_queries(2):
        provider_rates(window, rules=rules)
    for i in range(10):
        branch = BranchFactory(provider=ProviderFactory())
        _answered(make_offer, branch, i + 1)
    with django_assert_num_queries(2):
        rows = provider_rates(window, rules=rules)
    assert len(rows) == 13


@pytest.mark.parametrize(
    ("hours", "words"),
    [(0, "0 minutes"), (0.5, "30 minutes"), (1, "1 hour"), (3.5, "3.5 hours"), (24, "24 hours")],
)
def test_k11_hours_in_words(hours, words):
    assert hours_words(hours) == words


def test_k11_the_migration_fills_the_first_answer_of_offers_answered_before_it(
    make_offer, branch_a1
):
    """Answered offers take their `responded_at`; unanswered ones and ones already set stay."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("brokerage.migrations.0012_offer_first_responded_at")
    old = make_offer(branch_a1, SENT, "offer_made", responded_at=SENT + timedelta(hours=5))
    kept = _answered(make_offer, branch_a1, 2)
    Offer.objects.filter(pk=kept.pk).update(responded_at=SENT + timedelta(hours=9))
    expired = make_offer(branch_a1, SENT, "no_response")
    migration.fill_first_answers(apps, None)
    first = dict(Offer.objects.values_list("pk", "first_responded_at"))
    assert first[old.pk] == SENT + timedelta(hours=5)
    assert first[kept.pk] == SENT + timedelta(hours=2)
    assert first[expired.pk] is None


def test_k11_an_automatic_answer_is_an_answer_at_no_hours(make_offer, branch_a1):
    """P12 answers count as responses in K1, so K11 counts them too: sent and answered at once.
    Answers 0 (automatic), 4 and 6 hours: the median is 4."""
    make_offer(
        branch_a1,
        SENT,
        "unable_to_accept",
        reason="no_capacity",
        auto=True,
        first_responded_at=SENT,
    )
    _answered(make_offer, branch_a1, 4)
    _answered(make_offer, branch_a1, 6)
    assert provider_rates(RateWindow.for_quarter(Q1))[0].median_hours == pytest.approx(4)


# --- beside every response rate: API, CSV, pages ------------------------------------------------

NOW = at(2026, 8, 1, 12)  # 2026-27-Q2: the pages' last four quarters hold 2026-27-Q1


@pytest.fixture
def frozen():
    from unittest import mock

    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield


def test_k11_api_gives_median_hours_to_respond_per_provider_and_market(api_as, carl, timed_market):
    body = api_as(carl).get("/api/v1/kpi/response-rates/?quarter=2026-27-Q1").json()
    rows = {r["provider"]["ref"]: r["median_hours_to_respond"] for r in body["results"]}
    assert rows == {"PA": pytest.approx(3.5), "PB": pytest.approx(5), "PC": None}
    assert body["market"]["median_hours_to_respond"] == pytest.approx(4)


def test_k11_api_a_provider_gets_its_own_figure_and_the_markets(api_as, bob, timed_market):
    body = api_as(bob).get("/api/v1/kpi/response-rates/?quarter=2026-27-Q1").json()
    assert [(r["provider"]["ref"], r["median_hours_to_respond"]) for r in body["results"]] == [
        ("PB", pytest.approx(5))
    ]
    assert body["market"]["median_hours_to_respond"] == pytest.approx(4)


def test_k11_response_rates_csv_has_the_median_beside_the_rate(client, carl, timed_market):
    import csv
    import io

    client.force_login(carl)
    text = client.get("/kpi/response-rates.csv?period=2026-27-Q1").content.decode()
    rows = {r["provider_ref"] or "market": r for r in csv.DictReader(io.StringIO(text))}
    assert list(rows["PA"])[5:7] == ["rate", "median_hours_to_respond"]
    assert rows["PA"]["median_hours_to_respond"] == "3.5000"
    assert rows["PC"]["median_hours_to_respond"] == ""
    assert rows["market"]["median_hours_to_respond"] == "4.0000"


def test_k11_dashboard_shows_and_downloads_response_times(client, carl, timed_market, frozen):
    client.force_login(carl)
    page = client.get("/kpi/dashboard/").content.decode()
    assert 'id="response-times"' in page and "answers in 3.5 hours" in page
    assert "Market median hours from an offer being sent to its first answer" in page
    lines = client.get("/kpi/dashboard/response-times.csv").content.decode().splitlines()
    header = lines[0].split(",")
    q1 = header.index("2026-27-Q1")
    cells = {line.split(",")[0] or "market": line.split(",")[q1] for line in lines[1:]}
    assert cells == {"market": "4.0000", "PA": "3.5000", "PB": "5.0000", "PC": ""}


def test_k11_my_kpis_shows_own_and_market_median(client, olivia, alice, timed_market, frozen):
    client.force_login(olivia)
    page = client.get("/kpi/my/?period=2026-27-Q1").content.decode()
    assert "Median time to first answer: 3.5 hours" in page
    assert "median time from an offer being sent to its first answer: 4 hours" in page
    client.force_login(alice)  # branch a1 answered after 8 and 4 hours
    assert (
        "Median time to first answer: 6 hours"
        in client.get("/kpi/my/?period=2026-27-Q1").content.decode()
    )


def test_k11_risk_pages_show_the_median_beside_the_rate(client, carl, timed_market, frozen):
    client.force_login(carl)
    page = client.get("/kpi/risk/PB/").content.decode()
    assert "5 hours" in page
    page = client.get("/kpi/risk/").content.decode()  # A (4 of 5: 80%) is medium risk in Q1
    assert "median time to answer 3.5 hours" in page


def _grow(make_offer, n):
    for i in range(n):
        branch = BranchFactory(provider=ProviderFactory())
        _answered(make_offer, branch, i + 1)
        make_offer(branch, SENT, "no_response")


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("olivia", "/kpi/my/?period=2026-27-Q1"),
        ("carl", "/kpi/risk/"),
        ("carl", "/kpi/risk/PA/"),
        ("carl", "/kpi/response-rates.csv?period=2026-27-Q1"),
        ("carl", "/kpi/dashboard/response-times.csv"),
    ],
)
def test_k11_pages_query_counts_do_not_grow_with_providers(
    client, request, timed_market, make_offer, frozen, django_assert_max_num_queries, persona, url
):
    client.force_login(request.getfixturevalue(persona))
    client.get(url)  # settings rows and sessions made once
    with django_assert_max_num_queries(30) as small:
        assert client.get(url).status_code == 200
    _grow(make_offer, 12)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_k11_api_query_count_does_not_grow_with_providers(
    api_as, carl, timed_market, make_offer, django_assert_max_num_queries
):
    api = api_as(carl)
    url = "/api/v1/kpi/response-rates/?quarter=2026-27-Q1"
    api.get(url)
    with django_assert_max_num_queries(12) as small:
        api.get(url)
    _grow(make_offer, 12)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(api.get(url).json()["results"]) == 15


def _risk_rows(html: str) -> list[str]:
    """The risk list's rows, each as its text with the spaces closed up."""
    body = html[html.index('<tbody class="govuk-table__body">') : html.index("</tbody>")]
    rows = [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in re.split(r"<tr[^>]*>", body)]
    return [row for row in rows if row]


def test_k9_k11_the_risk_list_is_paged_and_works_out_medians_for_its_page_alone(
    client, carl, timed_market, frozen, monkeypatch
):
    """Issue 13: a national market has a thousand providers at risk. The list comes a page at a
    time, and the rolling 90 days' medians are worked out for the page's providers alone: each
    page shows what the whole list shows for its rows."""
    client.force_login(carl)
    whole = _risk_rows(client.get("/kpi/risk/").content.decode())
    assert len(whole) >= 2 and any("median time to answer 3.5 hours" in row for row in whole)
    monkeypatch.setattr(council, "PAGE_SIZE", 1)
    paged = []
    for number in range(1, len(whole) + 1):
        with CaptureQueriesContext(connection) as queries:
            html = client.get(f"/kpi/risk/?page={number}").content.decode()
        assert f"{len(whole)} providers, {number} to {number} shown" in html
        paged += _risk_rows(html)
        medians = [q["sql"] for q in queries if is_median_query(q["sql"])]
        assert len(medians) == 1  # K11's rolling medians: one read, of this page's provider
        assert re.search(r'"provider_id" IN \(\d+\)', medians[0])
    assert paged == whole


def is_median_query(sql: str) -> bool:
    """K11's one query over the answered offers: window functions (SQLite) or an ordered-set
    aggregate (PostgreSQL)."""
    return sql.startswith("WITH ranked") or "percentile_disc(" in sql


@pytest.mark.postgres
@pytest.mark.parametrize("seed", range(8))
def test_k11_the_ordered_set_median_is_the_window_functions_to_the_tenth_of_a_second(
    seed, make_offer, branch_a1, branch_a2, branch_b1
):
    """Issue 13: on PostgreSQL the medians come from `percentile_disc` at two fractions (the middle
    one or two answers) grouped by GROUPING SETS, in one sort. For random answer times (ties,
    fractions of a second, one to nine answers a provider, in two overlapping windows) it gives
    what the window functions give, per provider and window and per window: an off-by-one middle
    or a wrong mean of two fails here."""
    import random

    from kpi.response_times import _median_hours_ordered_set, _median_hours_windowed, _timed
    from kpi.selectors import RESPONDED, counted_offers

    rng = random.Random(seed)
    for branch in (branch_a1, branch_a2, branch_b1):
        for _ in range(rng.randint(1, 9)):
            sent = SENT + timedelta(days=rng.randint(0, 60), seconds=rng.randint(0, 86399))
            waited = timedelta(
                seconds=rng.choice([3600, 7200, rng.randint(1, 250_000)]),
                microseconds=rng.choice([0, 50_000, rng.randint(0, 999_999)]),
            )
            _answered(make_offer, branch, waited / timedelta(hours=1), sent=sent)
    spans = [
        ("early", SENT, SENT + timedelta(days=40)),
        ("late", SENT + timedelta(days=20), SENT + timedelta(days=61)),
    ]
    answered = counted_offers(Offer.objects.all()).filter(RESPONDED)
    for chosen in (spans, spans[:1], spans[1:]):
        windowed = _median_hours_windowed(_timed(answered, chosen), chosen)
        ordered = _median_hours_ordered_set(_timed(answered, chosen), chosen)
        assert ordered == windowed
        assert ("early" if chosen[0][0] == "early" else "late", None) in ordered


def test_k11_a_providers_rolling_rates_work_out_its_own_median_alone(
    timed_market, client, alice, make_offer, branch_b1
):
    """Issue 13: a provider's GET /kpi/response-rates/?rolling=90 and its CSV show the market's
    summary and its own row: the medians read are of its own offers (Alice's, a branch user's:
    her branch's), never every provider's (at 2M offers that read took 3.2 s of the 3.3 s the
    provider waited)."""
    now = SENT + timedelta(days=30)
    _answered(make_offer, branch_b1, 6, sent=now - timedelta(days=2))
    client.force_login(alice)
    from unittest import mock

    with (
        mock.patch("django.utils.timezone.now", return_value=now),
        CaptureQueriesContext(connection) as queries,
    ):
        api = client.get("/api/v1/kpi/response-rates/?rolling=90")
        csv = client.get("/kpi/response-rates.csv?period=rolling-90")
    assert api.status_code == 200 and csv.status_code == 200
    assert [row["provider"]["ref"] for row in api.json()["results"]] == ["PA"]
    medians = [q["sql"] for q in queries.captured_queries if is_median_query(q["sql"])]
    assert len(medians) == 2  # one each, of Alice's branch's offers alone (A1)
    for sql in medians:
        assert f'"brokerage_offer"."branch_id" = {alice.branch_id} ' in sql, sql
