"""L1: the decision matrix with hand-made numbers (see `matrix_market` in conftest)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from allocation.matrix import hours_held, shortlist
from allocation.rates import current_rates, refresh_rolling_rates
from brokerage import holdings
from core.portal_settings import settings_update
from kpi.selectors import RateWindow, provider_rates
from tests.allocation.conftest import NOW, WANTED, answer
from tests.factories import BranchFactory, CoverageFactory, PackageFactory, ProviderFactory


def by_key(market, ranked):
    names = {o.pk: k for k, o in market["offers"].items()}
    return [names[row.offer_id] for row in ranked]


def test_L1_four_parts_with_hand_made_numbers(matrix_market):
    refresh_rolling_rates(as_of=NOW - timedelta(hours=3))  # before these offers were answered
    ranked = shortlist(matrix_market["package"], now=NOW)
    assert by_key(matrix_market, ranked) == ["Q", "P", "R"]
    q, p, r = ranked
    assert p.parts["response_rate"] == {"value": 0.75, "score": 0.75, "weight": 1.0, "counted": 4}
    assert q.parts["response_rate"]["value"] == 1.0
    # R has no counted offer in the 90 days: it scores the market median of 0.75 and 1.0.
    assert r.parts["response_rate"]["value"] is None
    assert r.parts["response_rate"]["score"] == 0.875
    assert [x.parts["quality"]["value"] for x in ranked] == [
        "good",
        "outstanding",
        "requires_improvement",
    ]
    assert [x.parts["quality"]["score"] for x in ranked] == [0.75, 1.0, 0.25]
    # Market share: R holds 0 hours (1), P the most, 20 (0), Q 10 hours between (0.5).
    assert [x.parts["market_share"]["value"] for x in ranked] == [10.0, 20.0, 0.0]
    assert [x.parts["market_share"]["score"] for x in ranked] == [0.5, 0.0, 1.0]
    # Start: on the wanted date 1, 7 days late 0.75, 28 days late 0.
    assert [x.parts["start"]["value"] for x in ranked] == [7, 0, 28]
    assert [x.parts["start"]["score"] for x in ranked] == [0.75, 1.0, 0.0]
    assert q.score == pytest.approx((1 + 0.75 + 0.5 + 0.75) / 4)
    assert p.score == pytest.approx((0.75 + 1 + 0 + 1) / 4)
    assert r.score == pytest.approx((0.875 + 0.25 + 1 + 0) / 4)
    assert [x.rank for x in ranked] == [1, 2, 3]


def test_L1_weights_all_zero_but_one(matrix_market, adam):
    settings_update(
        actor=adam,
        changes={
            "weight_response_rate": 0,
            "weight_quality": 0,
            "weight_market_share": 0,
            "weight_start": 2,
        },
    )
    refresh_rolling_rates(as_of=NOW - timedelta(hours=3))
    ranked = shortlist(matrix_market["package"], now=NOW)
    assert by_key(matrix_market, ranked) == ["P", "Q", "R"]  # by start alone
    assert [x.score for x in ranked] == [1.0, 0.75, 0.0]
    assert ranked[0].parts["quality"]["weight"] == 0.0
    settings_update(actor=adam, changes={"weight_start": 0, "weight_market_share": 1})
    ranked = shortlist(matrix_market["package"], now=NOW)
    assert by_key(matrix_market, ranked) == ["R", "Q", "P"]  # by hours held alone
    assert [x.score for x in ranked] == [1.0, 0.5, 0.0]


def test_L1_all_hours_equal_score_1_and_ties_go_to_the_earlier_answer(db, ward):
    """Two providers holding nothing, the same rating and start, and no counted offers: every part
    equal, so the one that answered first ranks first."""
    offers = []
    for key, minutes in (("late", 50), ("early", 5), ("middle", 20)):
        branch = BranchFactory(provider=ProviderFactory(ref=key, cqc_rating="good"), ref=key)
        CoverageFactory(branch=branch, ward=ward)
        offers.append((key, branch, minutes))
    package = PackageFactory(ward=ward, status="offered", start_date=WANTED)
    made = {key: answer(package, b, start=WANTED, minutes=m) for key, b, m in offers}
    refresh_rolling_rates(as_of=NOW - timedelta(days=1))
    ranked = shortlist(package, now=NOW)
    assert [row.offer_id for row in ranked] == [made[k].pk for k in ("early", "middle", "late")]
    assert {row.parts["market_share"]["score"] for row in ranked} == {1.0}
    assert {row.parts["market_share"]["value"] for row in ranked} == {0.0}
    assert len({row.score for row in ranked}) == 1


def test_L1_rate_is_the_kpi_selectors_rolling_90_day_rate(matrix_market):
    """No second formula: counted live, the part's value is K3's rate from kpi.selectors."""
    ranked = shortlist(matrix_market["package"], now=NOW)  # no stored count: counted now
    rows = {r.provider_id: r for r in provider_rates(RateWindow.rolling(NOW))}
    for row in ranked:
        expected = rows[row.offer.provider_id].rate
        assert row.parts["response_rate"]["value"] == round(expected, 4)
    # Counted now, each provider's answer to this package counts too: P 4 of 5, R 1 of 1.
    p = next(x for x in ranked if x.offer.provider.ref == "PR-P")
    assert p.parts["response_rate"]["value"] == 0.8


def test_L1_stored_rates_are_read_while_fresh_then_counted_again(matrix_market):
    stored = refresh_rolling_rates(as_of=NOW - timedelta(hours=3))
    assert current_rates(NOW).as_of == stored.as_of
    assert current_rates(NOW + timedelta(hours=40)).as_of == NOW + timedelta(hours=40)


def test_L1_hours_held_count_only_the_current_rounds_award(matrix_market):
    p = matrix_market["branches"]["P"].provider
    assert hours_held([p.pk]) == {p.pk: 20}
    moved = p.offers.get(outcome="awarded").package
    moved.round = 2
    moved.status = "offered"
    with holdings.moving([moved.pk]):  # as batch_send does (kept hours, issue 10)
        moved.save()
    assert hours_held([p.pk]) == {p.pk: 0}


def test_K3_rolling_rates_command_and_daily_schedule(matrix_market, settings):
    from django.core.management import call_command

    from allocation.models import RollingRates

    call_command("refresh_rolling_rates", "--as-of", "2026-11-02T09:00")
    stored = RollingRates.objects.get()
    assert stored.median == 0.875
    assert {k: tuple(v) for k, v in stored.counts.items()} == {
        str(matrix_market["branches"]["P"].provider_id): (4, 3),
        str(matrix_market["branches"]["Q"].provider_id): (2, 2),
    }
    tasks = {s["task"] for s in settings.PORTAL_BEAT_SCHEDULES}
    assert "allocation.tasks.refresh_rolling_rates_task" in tasks
