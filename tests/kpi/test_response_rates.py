"""Response rates, bands, offer and award rates, and the market (K1-K4), on hand-made cases."""

from datetime import timedelta

import pytest

from core.models import PortalSettings
from kpi.quarters import Quarter
from kpi.selectors import RateWindow, market_summary, provider_rates, rates_by_quarter, standing

from .conftest import at

Q1 = RateWindow.for_quarter(Quarter.parse("2026-27-Q1"))


def _by_ref(rows):
    return {r.provider.ref: r for r in rows}


def test_closed_before_response_and_open_offers_are_left_out(rate_market):
    """K1: A has 10 answered + 2 no response (one urgent) counted; the closed-before-response and the
    still-open offer are not counted."""
    rows = _by_ref(provider_rates(Q1))
    a = rows["PA"]
    assert (a.offers, a.responded, a.no_response) == (12, 10, 2)
    assert a.rate == pytest.approx(10 / 12)
    assert a.band == "medium"  # K2: 83.3% is from 80% to under 95%


def test_urgent_packages_are_left_out_when_the_setting_says(rate_market):
    """K1: with kpi_exclude_urgent, A's urgent No Response no longer counts."""
    PortalSettings.objects.update_or_create(pk=1, defaults={"kpi_exclude_urgent": True})
    a = _by_ref(provider_rates(Q1))["PA"]
    assert (a.offers, a.responded, a.no_response) == (11, 10, 1)
    assert a.rate == pytest.approx(10 / 11)


def test_offer_rate_and_award_rate(rate_market):
    """K4: offer rate = Offer Made ÷ offers counted; award rate = awarded ÷ offers made."""
    a = _by_ref(provider_rates(Q1))["PA"]
    assert a.offer_rate == pytest.approx(8 / 12)
    assert a.award_rate == pytest.approx(2 / 8)


def test_bands_follow_the_settings(rate_market):
    """K2: B at 25% is high risk; raising the floor to 0.9 makes A (83%) high too."""
    assert _by_ref(provider_rates(Q1))["PB"].band == "high"
    PortalSettings.objects.update_or_create(pk=1, defaults={"medium_risk_floor": 0.9})
    assert _by_ref(provider_rates(Q1))["PA"].band == "high"


def test_band_edges(db):
    from kpi.selectors import band_for

    rules = PortalSettings.load()
    assert band_for(0.95, rules) == "low"
    assert band_for(0.9499, rules) == "medium"
    assert band_for(0.80, rules) == "medium"
    assert band_for(0.7999, rules) == "high"
    assert band_for(None, rules) is None


def test_offers_count_in_the_quarter_of_their_london_send_date(make_offer, branch_a1):
    """K1: sent 23:30 BST 30 June counts in Q1; 00:30 BST 1 July in Q2 (both 30 June in UTC)."""
    make_offer(branch_a1, at(2026, 6, 30, 23, 30), "offer_made")
    make_offer(branch_a1, at(2026, 7, 1, 0, 30), "no_response")
    q2 = RateWindow.for_quarter(Quarter.parse("2026-27-Q2"))
    assert [(r.offers, r.responded) for r in provider_rates(Q1)] == [(1, 1)]
    assert [(r.offers, r.responded) for r in provider_rates(q2)] == [(1, 0)]
    by_quarter = rates_by_quarter([Quarter.parse("2026-27-Q1"), Quarter.parse("2026-27-Q2")])
    assert [(r.offers, r.responded) for r in by_quarter["2026-27-Q1"]] == [(1, 1)]
    assert [(r.offers, r.responded) for r in by_quarter["2026-27-Q2"]] == [(1, 0)]


def test_rolling_90_days_counts_offers_sent_in_the_window(make_offer, branch_a1):
    """K3: 89 days ago counts, 91 days ago does not."""
    now = at(2026, 8, 1, 12)
    make_offer(branch_a1, now - timedelta(days=89), "offer_made")
    make_offer(branch_a1, now - timedelta(days=91), "no_response")
    rows = provider_rates(RateWindow.rolling(now))
    assert [(r.offers, r.responded) for r in rows] == [(1, 1)]


def test_market_rate_median_quartiles_and_bands(rate_market, make_offer, branch_b1):
    """K1, K2: overall rate is all responses ÷ all counted offers; quartiles of provider rates."""
    from tests.factories import BranchFactory, ProviderFactory

    c = BranchFactory(provider=ProviderFactory(ref="PC"))
    for _ in range(20):
        make_offer(c, at(2026, 4, 20, 11), "unable_to_accept", reason="no_capacity")
    market = market_summary(provider_rates(Q1))
    assert market.providers == 3
    assert market.rate == pytest.approx((10 + 1 + 20) / (12 + 4 + 20))
    assert market.median == pytest.approx(10 / 12)
    assert market.p25 == pytest.approx((0.25 + 10 / 12) / 2)
    assert market.p75 == pytest.approx((10 / 12 + 1) / 2)
    assert market.bands == {"low": 1, "medium": 1, "high": 1}


def test_standing_says_which_top_band_a_provider_is_in(db):
    from kpi.selectors import Market

    market = Market(providers=10, rates=[i / 10 for i in range(10)])
    assert standing(0.9, market)["top"] == 10
    assert standing(0.7, market)["top"] == 30
    assert standing(0.0, market) == {
        "percentile": 0.0,
        "top": 100,
        "bottom": 10,
        "place": "bottom 10%",
        "providers": 10,
    }
    assert standing(None, market) is None


def test_standing_never_tells_the_lowest_provider_it_is_in_the_top_100_percent(db):
    """K4: the best half read 'top n%'; the rest read the smaller band from the bottom."""
    from kpi.selectors import Market

    market = Market(providers=10, rates=[i / 10 for i in range(10)])
    assert standing(0.9, market)["place"] == "top 10%"
    assert standing(0.5, market)["place"] == "top 50%"
    assert standing(0.4, market)["place"] == "bottom 50%"
    assert standing(0.1, market)["place"] == "bottom 20%"
    two = Market(providers=2, rates=[0.5, 0.9])
    assert standing(0.9, two)["place"] == "top 50%"
    assert standing(0.5, two)["place"] == "bottom 50%"


def test_a_provider_with_no_counted_offers_has_no_row(rate_market, make_offer, branch_a1):
    """Only closed-before-response offers in Q2: nothing counted, no row, no rate."""
    make_offer(branch_a1, at(2026, 8, 1, 11), "closed_before_response", "withdrawn")
    assert provider_rates(RateWindow.for_quarter(Quarter.parse("2026-27-Q2"))) == []
