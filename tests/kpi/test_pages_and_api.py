"""Response-rate API and pages, the self-view (K4), triggers (K7), dashboard (K8) and risk (K9):
who may see what (A1, A2) and pinned query counts."""

from datetime import date
from unittest import mock

import pytest
from django.urls import reverse

from kpi.models import ActionPlan, KpiTrigger, RiskProfile
from kpi.services import kpi_triggers_escalate
from tests.factories import BranchFactory, ProviderFactory

from .conftest import at

NOW = at(2026, 8, 1, 12)  # 2026-27-Q2; rate_market's offers are in 2026-27-Q1


@pytest.fixture
def frozen():
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield


def test_api_response_rates_for_a_quarter_give_market_and_every_provider(api_as, carl, rate_market):
    body = api_as(carl).get("/api/v1/kpi/response-rates/?quarter=2026-27-Q1").json()
    assert set(body["market"]) >= {"rate", "median", "p25", "p75"}
    assert body["market"]["rate"] == round(11 / 16, 4)
    rows = {r["provider"]["ref"]: r for r in body["results"]}
    assert {k: rows["PA"][k] for k in ("offers", "responded", "no_response", "rate", "band")} == {
        "offers": 12,
        "responded": 10,
        "no_response": 2,
        "rate": round(10 / 12, 4),
        "band": "medium",
    }
    assert rows["PB"]["band"] == "high"


def test_api_a_provider_gets_its_own_row_plus_market_and_percentile(api_as, brenda, rate_market):
    """A1: Birch sees its own row only; the market is for everyone; its standing is given."""
    body = api_as(brenda).get("/api/v1/kpi/response-rates/?quarter=2026-27-Q1").json()
    assert [r["provider"]["ref"] for r in body["results"]] == ["PB"]
    assert body["percentile"] == 0.0 and body["top"] == 100
    assert "Amber" not in str(body)


def test_api_rolling_90(api_as, carl, rate_market, frozen):
    body = api_as(carl).get("/api/v1/kpi/response-rates/?rolling=90").json()
    assert body["period"] == "rolling-90" and len(body["results"]) == 2


@pytest.mark.parametrize("query", ["?quarter=2026-Q1", "?rolling=abc", "", "?rolling=0"])
def test_api_a_bad_period_answers_400_with_a_message(api_as, carl, query):
    response = api_as(carl).get(f"/api/v1/kpi/response-rates/{query}")
    assert response.status_code == 400
    assert any(isinstance(v, list) and v for v in response.json().values())


def test_api_triggers_are_scoped(api_as, olivia, carl, provider_a, provider_b):
    """A1: a provider sees its own triggers; the council all of them."""
    provider_a.joined_on = provider_b.joined_on = date(2025, 2, 1)
    provider_a.save()
    provider_b.save()
    kpi_triggers_escalate(as_of=at(2025, 7, 20, 6))
    mine = api_as(olivia).get("/api/v1/kpi/triggers/").json()["results"]
    assert [(t["provider"]["ref"], t["quarter"], t["level"]) for t in mine] == [
        ("PA", "2025-26-Q1", 1)
    ]
    assert len(api_as(carl).get("/api/v1/kpi/triggers/").json()["results"]) == 2
    theirs = KpiTrigger.objects.get(provider=provider_b)
    assert api_as(olivia).get(f"/api/v1/kpi/triggers/{theirs.pk}/").status_code == 404


def test_response_rates_csv_holds_a_providers_own_row_only(client, bob, rate_market):
    client.force_login(bob)
    text = client.get("/kpi/response-rates.csv?period=2026-27-Q1").content.decode()
    assert "PB" in text and "PA" not in text and "Amber" not in text


# --- K4: the self-view -------------------------------------------------------------------------


def test_self_view_shows_own_rates_standing_and_no_other_names(client, olivia, rate_market, frozen):
    """K4, A1: Amber's 83.3% in 2026-27-Q1, 'top 50%' of two, and Birch never named."""
    client.force_login(olivia)
    page = client.get("/kpi/my/?period=2026-27-Q1").content.decode()
    assert "83.3%" in page and "You are in the top 50%" in page
    assert "Birch" not in page
    assert "<svg" in page


def test_the_offers_behind_a_figure_are_the_users_own(client, alice, rate_market):
    """K4: Alice (branch a1) sees a1's No Response offers: the standard one and the urgent one."""
    client.force_login(alice)
    response = client.get("/kpi/my/offers/?period=2026-27-Q1&figure=no_response")
    assert response.context["page"].paginator.count == 2
    assert {o.branch.ref for o in response.context["page"]} == {"A1"}


def test_the_self_view_is_for_provider_users(client, nina):
    client.force_login(nina)
    assert client.get("/kpi/my/").status_code == 403


# --- K8: the dashboard -------------------------------------------------------------------------


def _grow_market(make_offer, n):
    for i in range(n):
        branch = BranchFactory(provider=ProviderFactory())
        make_offer(branch, at(2026, 5, 1, 11), "offer_made" if i % 2 else "no_response")


def test_dashboard_query_count_is_constant_as_providers_grow(
    client, carl, rate_market, make_offer, frozen, django_assert_max_num_queries
):
    """K8, STYLE 12: the same number of queries for 2 providers as for 22."""
    client.force_login(carl)
    with django_assert_max_num_queries(25) as small:
        assert client.get("/kpi/dashboard/").status_code == 200
    _grow_market(make_offer, 20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/kpi/dashboard/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Birch Care Services" in page and "<svg" in page


def test_dashboard_shows_trigger_levels_in_words(client, carl, frozen):
    for _ in range(2):
        ProviderFactory(joined_on=date(2025, 2, 1))
    ProviderFactory(joined_on=date(2025, 11, 1))
    kpi_triggers_escalate(as_of=at(2026, 4, 16, 6))
    client.force_login(carl)
    page = client.get("/kpi/dashboard/").content.decode()
    assert "2 at level three, 1 at level one" in page


@pytest.mark.parametrize(
    "figure",
    [
        "response-rates",
        "bands",
        "offer-rates",
        "never-responded",
        "triggers",
        "service-levels",
        "packages-per-month",
        "hours",
    ],
)
def test_every_dashboard_figure_downloads_as_csv(
    client, carl, rate_market, make_offer, frozen, figure
):
    silent = BranchFactory(provider=ProviderFactory(ref="PS", name="Silent Care"))
    make_offer(silent, at(2026, 5, 2, 11), "no_response")
    client.force_login(carl)
    response = client.get(f"/kpi/dashboard/{figure}.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert len(response.content.decode().splitlines()) >= 2
    if figure == "never-responded":
        assert response.content.decode().splitlines()[1] == "PS,Silent Care,1"


def test_commissioned_hours_now_and_a_year_ago_and_weekly_spend(db, ward):
    """K8: hours of awarded packages in force at each moment, times the £23.50 rate."""
    from kpi.figures import commissioned_hours
    from tests.factories import PackageFactory

    PackageFactory(ward=ward, status="awarded", hours_per_week=10, awarded_at=at(2025, 1, 1))
    PackageFactory(ward=ward, status="awarded", hours_per_week=4, awarded_at=at(2026, 3, 1))
    PackageFactory(
        ward=ward,
        status="cancelled",
        hours_per_week=7,
        awarded_at=at(2025, 2, 1),
        cancelled_at=at(2026, 1, 1),
    )
    figures = commissioned_hours(NOW)
    assert (figures["hours_now"], figures["hours_year_ago"]) == (14, 17)
    assert figures["spend_now"] == 329  # 14 x 23.50


@pytest.mark.parametrize("persona", ["olivia", "alice", "nina", "rita"])
def test_only_contract_managers_see_the_dashboard(client, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/kpi/dashboard/").status_code == 403
    assert client.get("/kpi/dashboard/bands.csv").status_code == 403


# --- K9, A2: risk profiles and action plans ----------------------------------------------------


def test_providers_never_see_risk_profiles_or_action_plans(client, olivia, carl, provider_a):
    """A2: council material; the provider gets 403 for the pages, and nothing in its own pages."""
    RiskProfile.objects.create(provider=provider_a, level="high", summary="Secret council concern")
    ActionPlan.objects.create(provider=provider_a, action="Secret action", due_on=date(2026, 9, 30))
    client.force_login(olivia)
    assert client.get("/kpi/risk/").status_code == 403
    assert client.get("/kpi/risk/PA/").status_code == 403
    for url in ("/kpi/my/", "/kpi/returns/", "/kpi/triggers/", "/"):
        assert "Secret" not in client.get(url).content.decode()


def test_a_contract_manager_keeps_a_risk_profile_and_action_plan(client, carl, provider_a):
    from core.models import AuditEvent

    client.force_login(carl)
    client.post(
        reverse("kpi:risk-profile", args=["PA"]), {"level": "medium", "summary": "Slow to answer"}
    )
    client.post(
        reverse("kpi:risk-plan", args=["PA"]),
        {"action": "Answer within a day", "due_on": "2026-09-30"},
    )
    plan = ActionPlan.objects.get(provider=provider_a)
    client.post(reverse("kpi:risk-plan-status", args=["PA"]), {"plan": plan.pk, "status": "met"})
    assert RiskProfile.objects.get(provider=provider_a).level == "medium"
    assert ActionPlan.objects.get().status == "met"
    assert AuditEvent.objects.filter(action__startswith="kpi.").count() == 3
    assert "Slow to answer" in client.get("/kpi/risk/PA/").content.decode()


# --- K7: the triggers page and reset -----------------------------------------------------------


def test_a_contract_manager_resets_a_count_from_the_page(client, carl, provider_a):
    provider_a.joined_on = date(2025, 2, 1)
    provider_a.save()
    kpi_triggers_escalate(as_of=at(2025, 10, 20, 6))
    client.force_login(carl)
    response = client.post("/kpi/triggers/PA/reset/", {"reason": "Improvement plan agreed"})
    assert response.status_code == 302
    assert not KpiTrigger.objects.filter(reset__isnull=True).exists()


def test_a_provider_cannot_reset_its_triggers(client, olivia, provider_a):
    client.force_login(olivia)
    assert client.post("/kpi/triggers/PA/reset/", {"reason": "x"}).status_code == 403


def test_the_settings_page_discounts_a_quarter(client, carl):
    from kpi.models import DiscountedQuarter

    client.force_login(carl)
    client.post(
        reverse("kpi:discount-add"), {"quarter": "2025-26-Q1", "reason": "Reporting problems"}
    )
    assert DiscountedQuarter.objects.filter(quarter="2025-26-Q1").exists()


def test_the_triggers_page_opens_for_a_contract_manager_with_levels_and_legal_flags(
    client, carl, provider_a
):
    """K7: the council's triggers page (once a 500: an import named a module that had moved)."""
    provider_a.joined_on = date(2025, 2, 1)
    provider_a.save()
    kpi_triggers_escalate(as_of=at(2025, 10, 20, 6))
    client.force_login(carl)
    response = client.get("/kpi/triggers/")
    assert response.status_code == 200
    assert "Amber Homecare Ltd" in response.content.decode()
    assert "levels" in response.context and "legal" in response.context
